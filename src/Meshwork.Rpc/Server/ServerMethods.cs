using System.Buffers;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

/// <summary>A registered method: decodes the opening frame and starts a typed call.</summary>
internal abstract class ServerMethod(string service, string name, CallKind kind)
{
    public string Service { get; } = service;
    public string Name { get; } = name;
    public string FullName { get; } = service + "/" + name;
    public CallKind Kind { get; } = kind;

    /// <summary>Calls kept per unary method for reuse: as many as were in flight at once, up to this; beyond it the GC takes them.</summary>
    protected const int CallPoolSize = 1024;

    /// <summary>The middleware chain wrapped around this method's terminal handler; null when there is no middleware.</summary>
    public ServerCallHandler? Pipeline { get; private set; }

    public void Bind(IReadOnlyList<IServerMiddleware> middleware)
    {
        if (middleware.Count == 0)
        {
            Pipeline = null;
            return;
        }
        ServerCallHandler next = Terminal;
        for (int i = middleware.Count - 1; i >= 0; i--)
        {
            var m = middleware[i];
            var inner = next;
            next = ctx => m.InvokeAsync(ctx, inner);
        }
        Pipeline = next;
    }

    /// <summary>Innermost step of the middleware chain: runs the handler for the call found in the context.</summary>
    internal abstract ValueTask Terminal(ServerCallContext context);

    /// <summary>Decodes and launches the call. Runs on the read loop; the body is valid only during this call.</summary>
    public abstract void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body);

    protected bool TryDecode<T>(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body,
        Serialization.MessageType<T> type, out T value)
    {
        try
        {
            value = MessageCodec.Decode(header, body, type, connection.Server.Options.Serializers, connection.Server.Options.Compression, connection.Limits.MaxMessageSize);
            MessageSizes.Report(MessageFlow.ServerRequest, FullName, body.Length);
            return true;
        }
        catch (Exception caught)
        {
            // Any decode failure is the caller's bad input; the slot taken for the call is handed back on every path.
            var ex = caught as RpcException ?? new RpcException(StatusCode.InvalidArgument, $"cannot decode the request of {FullName}: {caught.Message}", caught);
            value = default!;
            connection.Server.ReleaseCallSlot();
            if (header.Type != FrameType.OneWay) connection.SendStatus(header.RequestId, ex.Status, ex.Message, null);
            connection.LogRejectedCall(Service, Name, ex.Status, ex.Message);
            return false;
        }
    }
}

internal sealed class UnaryServerMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryHandler<TRequest, TResponse> handler)
    : ServerMethod(method.Service, method.Name, CallKind.Unary)
{
    public Method<TRequest, TResponse> Method { get; } = method;
    public UnaryHandler<TRequest, TResponse> Handler { get; } = handler;

    /// <summary>Finished calls of this method with their contexts, reused by later calls (see <see cref="ServerCall"/> for when one is returned).</summary>
    internal ObjectPool<UnaryServerCall<TRequest, TResponse>> CallPool { get; } = new(CallPoolSize, threadSlot: true);

    public override void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (!TryDecode(connection, ref header, body, Method.RequestType, out var request)) return;
        connection.Launch(UnaryServerCall<TRequest, TResponse>.Rent(connection, this, ref header, request));
    }

    internal override async ValueTask Terminal(ServerCallContext context) =>
        context.Response = await Handler((TRequest)context.Request!, context).ConfigureAwait(false);
}

internal sealed class OneWayServerMethod<TRequest>(Method<TRequest, Empty> method, OneWayHandler<TRequest> handler)
    : ServerMethod(method.Service, method.Name, CallKind.OneWay)
{
    public Method<TRequest, Empty> Method { get; } = method;
    public OneWayHandler<TRequest> Handler { get; } = handler;

    public override void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (!TryDecode(connection, ref header, body, Method.RequestType, out var request)) return;
        connection.Launch(new OneWayServerCall<TRequest>(connection, this, ref header, request));
    }

    internal override ValueTask Terminal(ServerCallContext context) => Handler((TRequest)context.Request!, context);
}

internal sealed class ServerStreamingServerMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingHandler<TRequest, TResponse> handler)
    : ServerMethod(method.Service, method.Name, CallKind.ServerStreaming)
{
    public Method<TRequest, TResponse> Method { get; } = method;
    public ServerStreamingHandler<TRequest, TResponse> Handler { get; } = handler;

    public override void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (!TryDecode(connection, ref header, body, Method.RequestType, out var request)) return;
        connection.Launch(new StreamingServerCall<TRequest, TResponse>(connection, this, Method, ref header, request));
    }

    internal override ValueTask Terminal(ServerCallContext context) =>
        ((StreamingServerCall<TRequest, TResponse>)context.Call!).SendAllAsync(Handler((TRequest)context.Request!, context));
}

internal sealed class ClientStreamingServerMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingHandler<TRequest, TResponse> handler)
    : ServerMethod(method.Service, method.Name, CallKind.ClientStreaming)
{
    public Method<TRequest, TResponse> Method { get; } = method;
    public ClientStreamingHandler<TRequest, TResponse> Handler { get; } = handler;

    public override void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body) =>
        connection.Launch(new StreamingServerCall<TRequest, TResponse>(connection, this, Method, ref header, default!));

    internal override async ValueTask Terminal(ServerCallContext context)
    {
        var call = (StreamingServerCall<TRequest, TResponse>)context.Call!;
        context.Response = await Handler(call.ReadAllAsync(context.CancellationToken), context).ConfigureAwait(false);
    }
}

internal sealed class DuplexServerMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingHandler<TRequest, TResponse> handler)
    : ServerMethod(method.Service, method.Name, CallKind.DuplexStreaming)
{
    public Method<TRequest, TResponse> Method { get; } = method;
    public DuplexStreamingHandler<TRequest, TResponse> Handler { get; } = handler;

    public override void Start(ServerConnection connection, ref FrameHeader header, in ReadOnlySequence<byte> body) =>
        connection.Launch(new StreamingServerCall<TRequest, TResponse>(connection, this, Method, ref header, default!));

    internal override ValueTask Terminal(ServerCallContext context)
    {
        var call = (StreamingServerCall<TRequest, TResponse>)context.Call!;
        return call.SendAllAsync(Handler(call.ReadAllAsync(context.CancellationToken), context));
    }
}
