using System.Buffers;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

/// <summary>
/// One call being served. Runs on the server's handler queue, or on the read loop (see <see cref="RpcServerOptions.HandlerDispatch"/>).
/// Lifetime: the running call holds one reference from <see cref="ServerConnection.Launch"/> until its handler has finished and its final
/// frame was written; anyone who looks a call up in the connection's table to act on it (cancel, stream data, deadline
/// sweep) holds another while doing so. When the last one is released the context is cleared and a pooled call goes
/// back to its method's pool, so a late cancel can never reach the next call that reuses the object.
/// </summary>
internal abstract class ServerCall : IThreadPoolWorkItem
{
    private int _answered;
    private int _refs;

    protected ServerCall()
    {
        Context = new ServerCallContext("", "", CallKind.Unary, "", null, 0) { Call = this };
    }

    protected ServerCall(ServerConnection connection, ServerMethod method, ref FrameHeader header)
        : this()
    {
        Initialize(connection, method, ref header);
    }

    /// <summary>Sets up the call for one request; the caller (the read loop) owns the reference it returns with.</summary>
    protected void Initialize(ServerConnection connection, ServerMethod method, ref FrameHeader header)
    {
        Connection = connection;
        Method = method;
        Id = header.RequestId;
        SerializerId = header.Serializer;
        // The start only matters for a deadline (its budget is relative to arrival, and its error message says how it
        // was spent); without one the coarse clock is enough.
        long now = header.TimeoutMicros > 0 ? Clock.NowMicros : Clock.CoarseMicros;
        StartMicros = now;
        DeadlineMicros = header.TimeoutMicros > 0 ? now + header.TimeoutMicros : 0;
        ChargedBytes = 0;
        _answered = 0;
        Volatile.Write(ref _refs, 1);
        Context.Initialize(method.Service, method.Name, method.Kind, connection.Peer, header.Metadata, DeadlineMicros);
    }

    public ServerConnection Connection { get; private set; } = null!;
    public ServerMethod Method { get; private set; } = null!;
    public ulong Id { get; private set; }
    public byte SerializerId { get; private set; }
    public long StartMicros { get; private set; }
    public long DeadlineMicros { get; private set; }
    public ServerCallContext Context { get; }
    public virtual bool IsOneWay => false;

    /// <summary>Request bytes counted against the connection and the server's buffer budget while the call runs.</summary>
    public long ChargedBytes { get; set; }

    /// <summary>True for the one caller allowed to send this call's final frame; later answers are dropped.</summary>
    public bool TryAnswer() => Interlocked.Exchange(ref _answered, 1) == 0;

    /// <summary>Takes a reference for someone who found the call in the table; only under the table's lock, while it is registered.</summary>
    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>Drops a reference; the last one clears the context and recycles the call.</summary>
    public void ReleaseRef()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        Context.Release();
        Connection = null!;
        Recycle();
    }

    /// <summary>Called once per use when nothing refers to the call any more; pooled calls return to their pool.</summary>
    protected virtual void Recycle()
    {
    }

    public abstract void Execute();

    public virtual void OnStreamData(ref FrameHeader header, in ReadOnlySequence<byte> body) =>
        Connection.RejectStream(this, new RpcException(StatusCode.InvalidArgument, $"stream data sent to {Method.FullName}, which takes no request stream"), brokeStreamRules: true);

    public virtual void OnStreamEnd()
    {
    }

    public virtual void OnWindowUpdate(uint credits)
    {
    }

    public virtual void OnCancel(StatusCode reason) => Context.Cancel(reason);

    /// <summary>Runs the handler, through the middleware chain when there is one.</summary>
    protected ValueTask RunHandler(object? request)
    {
        Context.Request = request;
        return Method.Pipeline is null ? Method.Terminal(Context) : Method.Pipeline(Context);
    }
}

/// <summary>A unary call. Pooled per method: a call and its context are reused, so serving a call allocates neither.</summary>
internal sealed class UnaryServerCall<TRequest, TResponse> : ServerCall
{
    private UnaryServerMethod<TRequest, TResponse> _method = null!;
    private TRequest _request = default!;

    public static UnaryServerCall<TRequest, TResponse> Rent(ServerConnection connection, UnaryServerMethod<TRequest, TResponse> method, ref FrameHeader header, TRequest request)
    {
        var call = method.CallPool.TryRent() ?? new UnaryServerCall<TRequest, TResponse>();
        call._method = method;
        call._request = request;
        call.Initialize(connection, method, ref header);
        return call;
    }

    protected override void Recycle()
    {
        var method = _method;
        _request = default!;
        method.CallPool.Return(this);
    }

    public override void Execute()
    {
        ValueTask<TResponse> pending;
        try
        {
            pending = _method.Pipeline is null ? _method.Handler(_request, Context) : WithMiddlewareAsync();
        }
        catch (Exception ex)
        {
            Connection.FailCall(this, ex);
            ReleaseRef();
            return;
        }
        if (pending.IsCompletedSuccessfully)
        {
            Connection.Reply(this, pending.Result, _method.Method.ResponseType);
            ReleaseRef();
            return;
        }
        _ = AwaitAsync(pending);
    }

    private async ValueTask<TResponse> WithMiddlewareAsync()
    {
        Context.Request = _request;
        await _method.Pipeline!(Context).ConfigureAwait(false);
        return (TResponse)Context.Response!;
    }

    private async Task AwaitAsync(ValueTask<TResponse> pending)
    {
        try
        {
            TResponse response;
            try
            {
                response = await pending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Connection.FailCall(this, ex);
                return;
            }
            Connection.Reply(this, response, _method.Method.ResponseType);
        }
        finally
        {
            ReleaseRef();
        }
    }
}

internal sealed class OneWayServerCall<TRequest> : ServerCall
{
    private readonly OneWayServerMethod<TRequest> _method;
    private readonly TRequest _request;

    public OneWayServerCall(ServerConnection connection, OneWayServerMethod<TRequest> method, ref FrameHeader header, TRequest request)
        : base(connection, method, ref header)
    {
        _method = method;
        _request = request;
    }

    public override bool IsOneWay => true;

    public override void Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        try
        {
            await RunHandler(_request).ConfigureAwait(false);
            Connection.CompleteOneWay(this, null);
        }
        catch (Exception ex)
        {
            Connection.CompleteOneWay(this, ex);
        }
        finally
        {
            ReleaseRef();
        }
    }
}

/// <summary>Server-streaming, client-streaming and duplex calls: an optional inbound stream with credits we grant, an optional outbound stream spending credits the client grants.</summary>
internal sealed class StreamingServerCall<TRequest, TResponse> : ServerCall, IStreamGrant
{
    private readonly Method<TRequest, TResponse> _descriptor;
    private readonly TRequest _request;
    private readonly InboundStream<TRequest>? _inbound;
    private readonly CreditGate _sendCredits;

    public StreamingServerCall(ServerConnection connection, ServerMethod method, Method<TRequest, TResponse> descriptor, ref FrameHeader header, TRequest request)
        : base(connection, method, ref header)
    {
        _descriptor = descriptor;
        _request = request;
        _sendCredits = new CreditGate(header.Window == 0 ? FrameLayout.DefaultStreamWindow : header.Window);
        if (method.Kind is CallKind.ClientStreaming or CallKind.DuplexStreaming)
        {
            _inbound = new InboundStream<TRequest>(connection.Server.Options.StreamWindow, credits => connection.SendWindowUpdate(Id, credits));
        }
    }

    /// <summary>Sent right after registration so the client may start streaming.</summary>
    public uint InitialGrant => _inbound is null ? 0u : (uint)_inbound.Window;

    public override void Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        try
        {
            bool sendsReply = Method.Kind == CallKind.ClientStreaming;
            await RunHandler(Method.Kind == CallKind.ServerStreaming ? _request : null).ConfigureAwait(false);
            if (sendsReply) Connection.Reply(this, (TResponse)Context.Response!, _descriptor.ResponseType);
            else Connection.SendStatus(this, StatusCode.OK, null);
        }
        catch (Exception ex)
        {
            Connection.FailCall(this, ex);
        }
        finally
        {
            ReleaseRef();
        }
    }

    public async ValueTask SendAllAsync(IAsyncEnumerable<TResponse> items)
    {
        var ct = Context.CancellationToken;
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
        {
            await _sendCredits.TakeAsync(ct).ConfigureAwait(false);
            await Connection.SendStreamItemAsync(this, item, _descriptor.ResponseType, ct).ConfigureAwait(false);
        }
    }

    public IAsyncEnumerable<TRequest> ReadAllAsync(CancellationToken ct) =>
        _inbound!.ReadAllAsync(() => new OperationCanceledException($"{Method.FullName} was cancelled", ct), ct);

    public override void OnStreamData(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (_inbound is null)
        {
            base.OnStreamData(ref header, body);
            return;
        }
        if (!_inbound.TryAdmit())
        {
            Connection.RejectStream(this, new RpcException(StatusCode.ResourceExhausted, $"client overran the stream window of {_inbound.Window} messages on {Method.FullName}"), brokeStreamRules: true);
            return;
        }
        try
        {
            var item = MessageCodec.Decode(header, body, _descriptor.RequestType, Connection.Server.Options.Serializers, Connection.Server.Options.Compression, Connection.Limits.MaxMessageSize);
            MessageSizes.Report(MessageFlow.ServerRequest, Method.FullName, body.Length);
            _inbound.Write(item);
        }
        catch (Exception caught)
        {
            var ex = caught as RpcException ?? new RpcException(StatusCode.InvalidArgument, $"cannot decode a message of {Method.FullName}: {caught.Message}", caught);
            _inbound.Complete(ex);
            Connection.RejectStream(this, ex, brokeStreamRules: false);
        }
    }

    public override void OnStreamEnd() => _inbound?.Complete();

    public override void OnWindowUpdate(uint credits) => _sendCredits.Grant(credits);

    public override void OnCancel(StatusCode reason)
    {
        base.OnCancel(reason);
        var error = new RpcException(reason, $"{Method.FullName} was cancelled ({reason})");
        _inbound?.Complete(error);
        _sendCredits.Close(error);
    }
}
