using System.Runtime.CompilerServices;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Client;

/// <summary>
/// A client for one server endpoint: pooled multiplexed connections, deadlines, cancellation, middleware.
/// Create one per endpoint and share it; it is thread-safe and cheap per call.
/// </summary>
public sealed class RpcChannel : CallInvoker, IAsyncDisposable, IDisposable
{
    private readonly ConnectionPool _pool;
    private readonly ClientShared _shared;
    private readonly IClientMiddleware[] _middleware;
    private readonly long _defaultTimeoutMicros;

    private RpcChannel(RpcEndpoint endpoint, RpcClientOptions options)
    {
        options.Validate();
        _shared = new ClientShared(options);
        _pool = new ConnectionPool(endpoint, _shared);
        _middleware = options.Middleware.ToArray();
        _defaultTimeoutMicros = options.DefaultTimeout is { } t ? (long)t.TotalMicroseconds : 0;
    }

    /// <summary>Creates a channel to <paramref name="address"/> (<c>host:port</c>, <c>tcp://host:port</c>, <c>unix:///path</c>). Connects lazily.</summary>
    public static RpcChannel ForAddress(string address, RpcClientOptions? options = null) =>
        new(RpcEndpoint.Parse(address), options ?? new RpcClientOptions());

    /// <summary>Creates a channel to an already parsed <paramref name="endpoint"/>. Connects lazily.</summary>
    public static RpcChannel ForEndpoint(RpcEndpoint endpoint, RpcClientOptions? options = null) =>
        new(endpoint, options ?? new RpcClientOptions());

    /// <summary>The server this channel talks to.</summary>
    public RpcEndpoint Endpoint => _pool.Endpoint;

    /// <summary>The channel's connections in use right now (for tests and diagnostics).</summary>
    internal IEnumerable<ClientConnection> CurrentConnections => _pool.CurrentConnections;

    /// <summary>
    /// Protocol errors made by the server since this channel was created, per kind; each is also logged, at most once
    /// per kind every 10 s, with the number suppressed in between. Export them as monotonic counters.
    /// </summary>
    public Diagnostics.ProtocolErrorCounters ProtocolErrors => _shared.ProtocolMonitor.Counters;

    /// <summary>
    /// Bytes this channel's connections have queued for servers that have not read them yet, with the peak and the
    /// connections closed because a server read nothing within <see cref="RpcClientOptions.WriteStallTimeout"/>.
    /// </summary>
    public Diagnostics.BufferBudget Buffers => _shared.Buffers;

    /// <summary>Opens the first connection now instead of on the first call.</summary>
    public async Task ConnectAsync(CancellationToken ct = default) => await _pool.GetAsync(ct).ConfigureAwait(false);

    private long Deadline(in CallOptions options, long start)
    {
        if (options.Timeout is { } t)
        {
            if (t <= TimeSpan.Zero) throw new RpcException(StatusCode.DeadlineExceeded, "call timeout is zero or negative");
            return start + (long)t.TotalMicroseconds;
        }
        return _defaultTimeoutMicros == 0 ? 0 : start + _defaultTimeoutMicros;
    }

    // ---- unary ----------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        if (_middleware.Length != 0) return UnaryWithMiddlewareAsync(method, request, options);
        return UnaryCore(method, request, options, options.Headers);
    }

    private ValueTask<TResponse> UnaryCore<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, in CallOptions options, Metadata? headers)
    {
        if (options.CancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<TResponse>(new RpcException(StatusCode.Cancelled, $"call {method.FullName} was cancelled before it started"));
        }
        // The start is only read for a deadline (the budget and its error message); without one the coarse clock will do.
        long start = options.Timeout is not null || _defaultTimeoutMicros != 0 ? Clock.NowMicros : Clock.CoarseMicros;
        long deadline;
        try
        {
            deadline = Deadline(options, start);
        }
        catch (RpcException ex)
        {
            return ValueTask.FromException<TResponse>(ex);
        }
        var pending = _pool.GetAsync(options.CancellationToken);
        if (!pending.IsCompletedSuccessfully) return UnarySlowAsync(pending, method, request, options, headers, start, deadline);
        var connection = pending.Result;
        if (!connection.TryTakeSlot()) return UnarySlowAsync(pending, method, request, options, headers, start, deadline);
        return StartUnary(connection, method, request, options, headers, start, deadline);
    }

    private async ValueTask<TResponse> UnarySlowAsync<TRequest, TResponse>(ValueTask<ClientConnection> pending, Method<TRequest, TResponse> method,
        TRequest request, CallOptions options, Metadata? headers, long start, long deadline)
    {
        // A connection can stop taking calls between being picked and the call registering (go-away, idle close);
        // nothing was sent then, so the call moves to a fresh connection. Bounded, so a flapping server cannot loop us.
        for (int attempt = 0; ; attempt++)
        {
            ClientConnection connection;
            try
            {
                connection = await pending.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(StatusCode.Cancelled, $"call {method.FullName} was cancelled while connecting to {Endpoint}");
            }
            catch (ObjectDisposedException)
            {
                throw new RpcException(StatusCode.Unavailable, $"the channel to {Endpoint} was disposed before {method.FullName} could start") { NotExecuted = true };
            }
            if (!connection.TryTakeSlot())
            {
                await connection.TakeSlotAsync(method.FullName, start, deadline, options.CancellationToken).ConfigureAwait(false);
            }
            if (TryStartUnary(connection, method, request, options, headers, start, deadline, out var started))
            {
                return await started.ConfigureAwait(false);
            }
            if (attempt == 2)
            {
                throw new RpcException(StatusCode.Unavailable, $"connection to {connection.Peer} stopped accepting calls before {method.FullName} started: {connection.StateReason}") { NotExecuted = true };
            }
            pending = _pool.GetAsync(options.CancellationToken);
        }
    }

    private ValueTask<TResponse> StartUnary<TRequest, TResponse>(ClientConnection connection, Method<TRequest, TResponse> method,
        TRequest request, in CallOptions options, Metadata? headers, long start, long deadline)
    {
        if (TryStartUnary(connection, method, request, options, headers, start, deadline, out var started)) return started;
        return UnarySlowAsync(_pool.GetAsync(options.CancellationToken), method, request, options, headers, start, deadline);
    }

    /// <summary>Registers, sends and then watches cancellation. False (slot released, nothing sent) if the connection stopped taking calls.</summary>
    private static bool TryStartUnary<TRequest, TResponse>(ClientConnection connection, Method<TRequest, TResponse> method,
        TRequest request, in CallOptions options, Metadata? headers, long start, long deadline, out ValueTask<TResponse> started)
    {
        var call = UnaryCall<TResponse>.Rent(connection, method.FullName, method.ResponseType, start, deadline);
        if (!connection.TryRegister(call))
        {
            connection.ReleaseSlot();
            call.ReturnUnused();
            started = default;
            return false;
        }
        var header = new FrameHeader
        {
            Type = FrameType.Request,
            Service = method.Service,
            EncodedNames = method.EncodedNames,
            Method = method.Name,
            Metadata = headers,
            TimeoutMicros = deadline == 0 ? 0 : Math.Max(1, deadline - Clock.NowMicros),
        };
        if (connection.SendRequest(call, ref header, request, method.RequestType, options.Compression))
        {
            call.WatchCancellation(options.CancellationToken);
        }
        started = call.Task;
        return true;
    }

    private async ValueTask<TResponse> UnaryWithMiddlewareAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var context = new ClientCallContext(method.Service, method.Name, method.Kind, options, request);
        await RunPipelineAsync(context, async ctx =>
        {
            ctx.Response = await UnaryCore(method, (TRequest)ctx.Request!, ctx.Options, ctx.HeadersIfAny).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (TResponse)context.Response!;
    }

    private ValueTask RunPipelineAsync(ClientCallContext context, ClientCallHandler terminal)
    {
        ClientCallHandler next = terminal;
        for (int i = _middleware.Length - 1; i >= 0; i--)
        {
            var middleware = _middleware[i];
            var inner = next;
            next = ctx => middleware.InvokeAsync(ctx, inner);
        }
        return next(context);
    }

    // ---- one-way ----------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override async ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default)
    {
        if (_middleware.Length != 0)
        {
            var context = new ClientCallContext(method.Service, method.Name, CallKind.OneWay, options, request);
            await RunPipelineAsync(context, ctx => SendOneWayAsync(method, (TRequest)ctx.Request!, ctx.Options, ctx.HeadersIfAny)).ConfigureAwait(false);
            return;
        }
        await SendOneWayAsync(method, request, options, options.Headers).ConfigureAwait(false);
    }

    private async ValueTask SendOneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options, Metadata? headers)
    {
        var connection = await _pool.GetAsync(options.CancellationToken).ConfigureAwait(false);
        var header = new FrameHeader
        {
            Type = FrameType.OneWay, Service = method.Service, Method = method.Name, EncodedNames = method.EncodedNames, Metadata = headers, Kind = CallKind.OneWay,
        };
        using var body = MessageCodec.Encode(ref header, request, method.RequestType, _shared.Serializers.For(method.RequestType), _shared.CompressionId(options.Compression), _shared.Compression, _shared.Limits.MaxFrameSize);
        // One-way calls take no stream slot, so waiting for room in the send queue is their only back-pressure
        // against a server that does not read.
        if (await connection.WriteFrameWhenRoomAsync(header, body.WrittenMemory, null, 0, options.CancellationToken).ConfigureAwait(false) != FrameWrite.Written)
        {
            throw new RpcException(StatusCode.Unavailable, $"connection to {connection.Peer} closed before one-way {method.FullName} was sent: {connection.StateReason}");
        }
        MessageSizes.Report(MessageFlow.ClientRequest, method.FullName, body.WrittenCount);
    }

    // ---- streaming --------------------------------------------------------------------------------------------

    private async ValueTask<StreamingCall<TRequest, TResponse>> StartStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method,
        TRequest request, bool sendsBody, CallOptions options, Metadata? headers)
    {
        long start = Clock.NowMicros;
        long deadline = Deadline(options, start);
        ClientConnection connection;
        try
        {
            connection = await _pool.GetAsync(options.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(StatusCode.Cancelled, $"call {method.FullName} was cancelled while connecting to {Endpoint}");
        }
        if (!connection.TryTakeSlot())
        {
            await connection.TakeSlotAsync(method.FullName, start, deadline, options.CancellationToken).ConfigureAwait(false);
        }
        var call = new StreamingCall<TRequest, TResponse>(connection, method, _shared.Options.StreamWindow, start, deadline);
        if (!connection.TryRegister(call))
        {
            connection.ReleaseSlot();
            throw new RpcException(StatusCode.Unavailable, $"connection to {connection.Peer} stopped accepting calls before {method.FullName} started: {connection.StateReason}") { NotExecuted = true };
        }
        var header = new FrameHeader
        {
            Type = FrameType.Request,
            Service = method.Service,
            Method = method.Name,
            EncodedNames = method.EncodedNames,
            Metadata = headers,
            Kind = method.Kind,
            Window = (uint)_shared.Options.StreamWindow,
            TimeoutMicros = deadline == 0 ? 0 : Math.Max(1, deadline - Clock.NowMicros),
        };
        Task? deferred;
        bool sent = sendsBody
            ? connection.SendRequest(call, ref header, request, method.RequestType, options.Compression, out deferred)
            : connection.SendRequest(call, ref header, Empty.Value, EmptyType, null, out deferred);
        if (sent) call.WatchCancellation(options.CancellationToken);
        // The caller may send messages and the end of the stream as soon as it has the call; they must not reach the
        // queue before the opening frame that waits for room (the server drops frames of a call it does not know).
        // The sender never throws: a failure fails the call, which its reader then reports.
        if (deferred is not null) await deferred.ConfigureAwait(false);
        return call;
    }

    private static readonly Serialization.MessageType<Empty> EmptyType = new();

    private async ValueTask<StreamingCall<TRequest, TResponse>> StartWithMiddlewareAsync<TRequest, TResponse>(Method<TRequest, TResponse> method,
        TRequest request, bool sendsBody, CallOptions options)
    {
        if (_middleware.Length == 0) return await StartStreamingAsync(method, request, sendsBody, options, options.Headers).ConfigureAwait(false);
        var context = new ClientCallContext(method.Service, method.Name, method.Kind, options, sendsBody ? request : null);
        await RunPipelineAsync(context, async ctx =>
        {
            ctx.Response = await StartStreamingAsync(method, sendsBody ? (TRequest)ctx.Request! : request, sendsBody, ctx.Options, ctx.HeadersIfAny).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (StreamingCall<TRequest, TResponse>)context.Response!;
    }

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        ServerStreamingCore(method, request, options, default);

    private async IAsyncEnumerable<TResponse> ServerStreamingCore<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options,
        [EnumeratorCancellation] CancellationToken enumeratorToken)
    {
        using var linked = Link(ref options, enumeratorToken);
        var call = await StartWithMiddlewareAsync(method, request, sendsBody: true, options).ConfigureAwait(false);
        await foreach (var item in call.ReadAllAsync(options.CancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>Folds a token given to <c>WithCancellation</c> into the call's options; returns the source to dispose, if one was needed.</summary>
    private static CancellationTokenSource? Link(ref CallOptions options, CancellationToken enumeratorToken)
    {
        if (!enumeratorToken.CanBeCanceled || enumeratorToken == options.CancellationToken) return null;
        if (!options.CancellationToken.CanBeCanceled)
        {
            options = options with { CancellationToken = enumeratorToken };
            return null;
        }
        var linked = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, enumeratorToken);
        options = options with { CancellationToken = linked.Token };
        return linked;
    }

    /// <inheritdoc/>
    public override async ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var call = await StartWithMiddlewareAsync(method, default!, sendsBody: false, options).ConfigureAwait(false);
        _ = call.SendAllAsync(requests, options);
        return await call.Reply.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests,
        CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return DuplexStreamingCore(method, requests, options, default);
    }

    private async IAsyncEnumerable<TResponse> DuplexStreamingCore<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests,
        CallOptions options, [EnumeratorCancellation] CancellationToken enumeratorToken)
    {
        using var linked = Link(ref options, enumeratorToken);
        var call = await StartWithMiddlewareAsync(method, default!, sendsBody: false, options).ConfigureAwait(false);
        _ = call.SendAllAsync(requests, options);
        await foreach (var item in call.ReadAllAsync(options.CancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>Closes every connection of the channel; calls still in flight fail with <see cref="StatusCode.Unavailable"/>.</summary>
    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    /// <summary>For containers that only dispose synchronously; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
