using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Server;

/// <summary>Server end of one connection: admission (limits, draining), dispatch, replies, cancellation and deadlines.</summary>
internal sealed class ServerConnection : FrameConnection, DeadlineSweeper.ISweepable
{
    private readonly Dictionary<ulong, ServerCall> _calls = new();
    // Guards _calls, _oneWays and the counts beside them. A Lock rather than a Monitor on the table: taken twice per call
    // (launch, completion), and its owner check reads the thread id from a managed thread-static instead of calling into
    // the runtime.
    private readonly Lock _callsLock = new();
    // One-way calls have no id on the wire but must still be reachable by drain, deadlines and connection loss.
    private readonly HashSet<ServerCall> _oneWays = new();
    private bool _closedForCalls;
    private int _deadlineCalls;
    private const int MaxStatusMessageChars = 8192;
    private volatile bool _goAwaySent;
    // Set under the calls lock when a shutting-down server sends its go-away: from then on Launch refuses every call,
    // so the id in that go-away (the highest launched before it) bounds what ran here.
    private bool _refusing;
    private ulong _highestLaunchedId; // under the calls lock
    private long _idleGoAwayMicros; // when an idle go-away was sent; the sweeper's thread only
    /// <summary>How long a client gets to close an idle connection after the go-away before the server closes it.</summary>
    private const long IdleCloseGraceMicros = 5_000_000;
    private long _lastCallMicros;
    private long _dispatchingBytes; // body size of the request being dispatched by the read loop
    // The method of the previous request and the names it came with (read loop only); registered methods are never removed.
    private string? _lastService;
    private string? _lastMethodName;
    private ServerMethod? _lastMethod;

    public ServerConnection(Stream stream, string peer, string source, RpcServer server)
        : base(stream, peer, server.Limits, server.Names, server.Logger, server.Buffers)
    {
        Server = server;
        Source = source;
        DispatchMode = server.Options.HandlerDispatch;
        _lastCallMicros = Clock.NowMicros;
        DeadlineSweeper.Register(this);
    }

    public RpcServer Server { get; }

    /// <summary>The client's address without the port: the key of rate-limited logging.</summary>
    public string Source { get; }

    /// <summary>The client's certificate from the TLS handshake (mTLS); null over plaintext or when it sent none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Calls registered (unary, streaming and one-way); kept beside the tables so that the admission check of
    /// every request does not take the table lock.</summary>
    public int ActiveCalls => Volatile.Read(ref _activeCalls);

    private int _activeCalls; // written under _callsLock

    protected override void OnFrame(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        switch (header.Type)
        {
            case FrameType.Request:
            case FrameType.OneWay:
                Dispatch(ref header, body);
                break;
            case FrameType.Cancel:
                if (Find(header.RequestId) is { } cancelled)
                {
                    try { cancelled.OnCancel(StatusCode.Cancelled); }
                    finally { cancelled.ReleaseRef(); }
                }
                break;
            case FrameType.StreamData:
                if (Find(header.RequestId) is { } streaming)
                {
                    try { streaming.OnStreamData(ref header, body); }
                    finally { streaming.ReleaseRef(); }
                }
                break;
            case FrameType.StreamEnd:
                if (Find(header.RequestId) is { } ended)
                {
                    try { ended.OnStreamEnd(); }
                    finally { ended.ReleaseRef(); }
                }
                break;
            case FrameType.WindowUpdate:
                if (Find(header.RequestId) is { } granted)
                {
                    try { granted.OnWindowUpdate(header.Window); }
                    finally { granted.ReleaseRef(); }
                }
                break;
            case FrameType.Heartbeat:
                // Answered here, before any middleware, so liveness never depends on application code.
                if ((header.Flags & FrameFlags.Ack) == 0) TryWriteFrame(new FrameHeader { Type = FrameType.Heartbeat, Flags = FrameFlags.Ack }, default);
                break;
            case FrameType.GoAway:
                break;
            case FrameType.Error:
                RpcLog.PeerReportedError(Logger, Peer, header.Status, header.StatusMessage);
                break;
            default:
                throw new ProtocolException($"unexpected {header.Type} frame from client {Peer}", StatusCode.InvalidArgument, ProtocolErrorKind.UnexpectedFrame);
        }
    }

    /// <summary>The registered call with this id, with a reference taken for the caller (release it when done), or null.</summary>
    private ServerCall? Find(ulong id)
    {
        lock (_callsLock)
        {
            if (!_calls.TryGetValue(id, out var call)) return null;
            call.AddRef();
            return call;
        }
    }

    private void Dispatch(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        bool oneWay = header.Type == FrameType.OneWay;
        if (!oneWay && header.RequestId == 0) throw new ProtocolException("request frame without a request id", StatusCode.InvalidArgument, ProtocolErrorKind.InvalidRequest);
        if (header.Service is null || header.Method is null) throw new ProtocolException("request frame without service or method name", StatusCode.InvalidArgument, ProtocolErrorKind.InvalidRequest);

        // An idle go-away does not refuse requests that crossed it; only a shutting-down server does.
        if (Server.IsStopping)
        {
            Reject(ref header, StatusCode.Unavailable, ShuttingDown($"{header.Service}/{header.Method}"));
            return;
        }
        ServerMethod? method;
        // Names decoded through the connection's string cache are the same string objects from call to call, so the
        // method of the previous request is found again by reference, without hashing both names into two tables.
        if (ReferenceEquals(header.Service, _lastService) && ReferenceEquals(header.Method, _lastMethodName))
        {
            method = _lastMethod!;
        }
        else
        {
            method = Server.FindMethod(header.Service, header.Method, out string? notFound);
            if (method is null)
            {
                Reject(ref header, StatusCode.NotFound, notFound!);
                return;
            }
            (_lastService, _lastMethodName, _lastMethod) = (header.Service, header.Method, method);
        }
        var kind = oneWay ? CallKind.OneWay : header.Kind;
        if (kind != method.Kind)
        {
            Reject(ref header, StatusCode.InvalidArgument, $"{method.FullName} is a {method.Kind} method but was called as {kind}");
            return;
        }
        if (!oneWay && ActiveCalls >= Server.Options.MaxConcurrentStreamsPerConnection)
        {
            Reject(ref header, StatusCode.ResourceExhausted,
                $"connection has {Server.Options.MaxConcurrentStreamsPerConnection} calls in flight (MaxConcurrentStreamsPerConnection); {method.FullName} rejected");
            return;
        }
        if (!Server.TryTakeCallSlot())
        {
            Reject(ref header, StatusCode.ResourceExhausted,
                $"server {Server.Name} is at its limit of {Server.Options.MaxConcurrentCalls} concurrent calls (MaxConcurrentCalls); {method.FullName} rejected");
            return;
        }
        // Taken (and cleared) by Launch before the call can run: a read loop taken over while this call ran must not
        // clear it after the new loop set it for the next request.
        _dispatchingBytes = body.Length;
        method.Start(this, ref header, body);
    }

    /// <summary>
    /// Back-pressure: stop reading requests while this connection holds its limit (replies queued plus requests in
    /// flight), or holds anything at all while the server's shared budget is used up. Connections whose clients read
    /// their replies hold nothing most of the time, so they keep being served.
    /// </summary>
    protected override bool MustPauseReading()
    {
        long held = HeldBytes;
        return held >= Limits.MaxQueuedWriteBytes || (held > 0 && Budget.IsExhausted);
    }

    private void Reject(ref FrameHeader header, StatusCode status, string message) =>
        Refuse(header.RequestId, header.Type == FrameType.OneWay, header.Service ?? "?", header.Method ?? "?", status, message);

    /// <summary>
    /// Logs a call that none of whose code ran and answers it, flagged <see cref="FrameFlags.Refused"/>: the client may
    /// send it elsewhere even when it is not idempotent. A one-way call gets no answer.
    /// </summary>
    private void Refuse(ulong id, bool oneWay, string service, string method, StatusCode status, string message)
    {
        LogRejectedCall(service, method, status, message);
        if (!oneWay) SendStatus(id, status, message, null, FrameFlags.Refused);
    }

    private string ShuttingDown(string fullMethod) =>
        $"server {Server.Name} is shutting down (go-away sent); {fullMethod} did not run; retry on another connection or endpoint";

    /// <summary>Logs a rejected call, at most once per interval for this client address and status.</summary>
    public void LogRejectedCall(string service, string method, StatusCode status, string message)
    {
        if (Server.ProtocolMonitor.Limiter.ShouldLog(Source, ProtocolErrorMonitor.RejectedCallCategory + (int)status, out long suppressed))
        {
            RpcLog.CallRejected(Logger, service, method, Peer, status, message, suppressed);
        }
    }

    protected override void ReportProtocolError(ProtocolException error) => Server.ProtocolMonitor.Report(Source, Peer, error.Kind, error.Message);

    /// <summary>Registers the call and runs it. The caller already holds a server call slot.</summary>
    public void Launch(ServerCall call)
    {
        if (!TryRegister(call, out bool refused))
        {
            // A call that crossed a shutdown go-away learns here, outside the lock (a status is a write), that it never ran.
            if (refused) Refuse(call.Id, call.IsOneWay, call.Method.Service, call.Method.Name, StatusCode.Unavailable, ShuttingDown(call.Method.FullName));
            call.ReleaseRef();
            return;
        }
        if (call is IStreamGrant { InitialGrant: > 0 } grant) SendWindowUpdate(call.Id, grant.InitialGrant);
        // Unary and one-way handlers run here while they are quick (see DispatchMode); streaming ones are always queued.
        if (call is IStreamGrant || !TryRunInline(call)) Server.Handlers.Enqueue(call);
    }

    /// <summary>
    /// Adds the call to the tables and charges its request bytes. False, with the call's slot returned, when the
    /// connection is gone (nobody could answer or cancel it) or refusing after a shutdown go-away (which promised that
    /// no call above its id would run); <paramref name="refused"/> tells the second case.
    /// </summary>
    private bool TryRegister(ServerCall call, out bool refused)
    {
        lock (_callsLock)
        {
            refused = _refusing && !_closedForCalls;
            if (_closedForCalls || _refusing)
            {
                _dispatchingBytes = 0;
                Server.ReleaseCallSlot();
                return false;
            }
            if (call.IsOneWay)
            {
                _oneWays.Add(call);
            }
            else if (!_calls.TryAdd(call.Id, call))
            {
                Server.ReleaseCallSlot();
                call.ReleaseRef();
                throw new ProtocolException($"request id {call.Id} is already in use on this connection", StatusCode.InvalidArgument, ProtocolErrorKind.DuplicateRequestId);
            }
            else if (call.Id > _highestLaunchedId)
            {
                _highestLaunchedId = call.Id;
            }
            if (call.DeadlineMicros != 0) _deadlineCalls++;
            Volatile.Write(ref _activeCalls, _activeCalls + 1);
            call.ChargedBytes = _dispatchingBytes;
            _dispatchingBytes = 0;
            ChargeInFlight(call.ChargedBytes);
            return true;
        }
    }

    /// <summary>Removes a finished call and returns its slot, once; later calls for the same call do nothing.</summary>
    private void Complete(ServerCall call)
    {
        lock (_callsLock)
        {
            bool removed = call.IsOneWay
                ? _oneWays.Remove(call)
                : _calls.TryGetValue(call.Id, out var found) && ReferenceEquals(found, call) && _calls.Remove(call.Id);
            if (!removed) return;
            if (call.DeadlineMicros != 0) _deadlineCalls--;
            Volatile.Write(ref _activeCalls, _activeCalls - 1);
            _lastCallMicros = Clock.CoarseMicros;
        }
        ReleaseInFlight(call.ChargedBytes);
        Server.ReleaseCallSlot();
    }

    /// <summary>The registered calls that pass <paramref name="filter"/>, each with a reference taken: pass the list to <see cref="ReleaseAll"/> when done.</summary>
    private List<ServerCall> Snapshot(Func<ServerCall, bool>? filter = null)
    {
        lock (_callsLock)
        {
            var all = new List<ServerCall>(_calls.Count + _oneWays.Count);
            foreach (var c in _calls.Values) if (filter is null || filter(c)) all.Add(c);
            foreach (var c in _oneWays) if (filter is null || filter(c)) all.Add(c);
            foreach (var c in all) c.AddRef();
            return all;
        }
    }

    private static void CancelExpired(List<ServerCall> expired)
    {
        try
        {
            foreach (var call in expired) call.OnCancel(StatusCode.DeadlineExceeded);
        }
        finally
        {
            ReleaseAll(expired);
        }
    }

    private static void ReleaseAll(List<ServerCall> calls)
    {
        foreach (var c in calls) c.ReleaseRef();
    }

    // ---- replies ----------------------------------------------------------------------------------------------

    public void Reply<T>(ServerCall call, T value, MessageType<T> type)
    {
        if (!call.TryAnswer())
        {
            Complete(call);
            return;
        }
        var header = new FrameHeader { Type = FrameType.Response, RequestId = call.Id, Metadata = call.Context.TrailersIfAny };
        try
        {
            using var body = MessageCodec.Encode(ref header, value, type, Server.Options.Serializers.Get(call.SerializerId), 0, Server.Options.Compression, Limits.MaxFrameSize);
            if (TryWriteFrame(header, body.WrittenSpan)) MessageSizes.Report(MessageFlow.ServerResponse, call.Method.FullName, body.WrittenCount);
        }
        catch (Exception ex)
        {
            // Reply too large, trailers too large, or the serializer failed: the caller still gets a status.
            var (status, message) = Describe(call, ex);
            SendStatus(call.Id, status, message, null);
        }
        Complete(call);
    }

    /// <summary>Sends one item of a server stream, waiting while the send queue is at its limit (a client reading slowly).</summary>
    public async ValueTask SendStreamItemAsync<T>(ServerCall call, T value, MessageType<T> type, CancellationToken ct)
    {
        var header = new FrameHeader { Type = FrameType.StreamData, RequestId = call.Id };
        using var body = MessageCodec.Encode(ref header, value, type, Server.Options.Serializers.Get(call.SerializerId), 0, Server.Options.Compression, Limits.MaxFrameSize);
        if (await WriteFrameWhenRoomAsync(header, body.WrittenMemory, null, 0, ct).ConfigureAwait(false) != FrameWrite.Written)
        {
            throw new RpcException(StatusCode.Unavailable, $"connection to {Peer} closed while streaming {call.Method.FullName}");
        }
        MessageSizes.Report(MessageFlow.ServerResponse, call.Method.FullName, body.WrittenCount);
    }

    public void SendStatus(ServerCall call, StatusCode status, string? message)
    {
        if (call.TryAnswer()) SendStatus(call.Id, status, message, call.Context.TrailersIfAny);
        Complete(call);
    }

    /// <summary>Answers a call whose client broke the stream rules and cancels its handler; the call is completed when the handler returns.</summary>
    public void RejectStream(ServerCall call, RpcException error, bool brokeStreamRules)
    {
        if (brokeStreamRules) Server.ProtocolMonitor.Report(Source, Peer, ProtocolErrorKind.StreamRuleViolation, error.Message);
        if (call.TryAnswer()) SendStatus(call.Id, error.Status, error.Message, null);
        call.OnCancel(error.Status);
    }

    public void SendStatus(ulong id, StatusCode status, string? message, Metadata? trailers, FrameFlags flags = FrameFlags.None)
    {
        if (message is { Length: > MaxStatusMessageChars }) message = message[..MaxStatusMessageChars] + " …(truncated)";
        try
        {
            TryWriteFrame(new FrameHeader { Type = FrameType.Response, Flags = flags, RequestId = id, Status = status, StatusMessage = message, Metadata = trailers }, default);
        }
        catch (RpcException tooLarge)
        {
            // Trailers too large for a header: keep the status, drop the trailers, say so.
            TryWriteFrame(new FrameHeader
            {
                Type = FrameType.Response, Flags = flags, RequestId = id, Status = status,
                StatusMessage = (message is { Length: > 1024 } ? message[..1024] : message) + $" (trailers dropped: {tooLarge.Message})",
            }, default);
        }
    }

    public void SendWindowUpdate(ulong id, uint credits) =>
        TryWriteFrame(new FrameHeader { Type = FrameType.WindowUpdate, RequestId = id, Window = credits }, default);

    /// <summary>Maps a handler failure to a status and answers it.</summary>
    public void FailCall(ServerCall call, Exception error)
    {
        var (status, message) = Describe(call, error);
        if (status == StatusCode.Internal) RpcLog.HandlerFailed(Logger, call.Method.Service, call.Method.Name, error);
        SendStatus(call, status, message);
    }

    public void CompleteOneWay(ServerCall call, Exception? error)
    {
        if (error is not null)
        {
            var (status, _) = Describe(call, error);
            if (status == StatusCode.Internal) RpcLog.HandlerFailed(Logger, call.Method.Service, call.Method.Name, error);
        }
        Complete(call);
    }

    private (StatusCode, string) Describe(ServerCall call, Exception error)
    {
        var reason = call.Context.CancellationReason;
        switch (error)
        {
            case RpcException rpc:
                return (rpc.Status, rpc.Message);
            case OperationCanceledException when reason == StatusCode.DeadlineExceeded:
                return (StatusCode.DeadlineExceeded,
                    $"deadline of {(call.DeadlineMicros - call.StartMicros) / 1000.0:0.#} ms exceeded inside server {Server.Name} while {call.Method.FullName} ran " +
                    $"(the handler used {(Clock.NowMicros - call.StartMicros) / 1000.0:0.#} ms of the budget that reached the server)");
            case OperationCanceledException when reason != StatusCode.OK:
                return (reason, $"{call.Method.FullName} was cancelled ({reason})");
            default:
                return (StatusCode.Internal, Server.Options.DetailedErrors
                    ? $"{call.Method.FullName} threw {error.GetType().FullName}: {error}"
                    : $"{call.Method.FullName} failed on the server with an unhandled exception");
        }
    }

    // ---- lifecycle --------------------------------------------------------------------------------------------

    /// <summary>Tells the client no new calls will be accepted; in-flight calls continue.</summary>
    /// <param name="shuttingDown">
    /// True when the server stops: calls that cross the go-away are refused, and the go-away names the highest id that
    /// ran, so the client knows that a call above it, lost with the connection, never ran. False for an idle
    /// connection, whose go-away still serves what crosses it and so bounds nothing.
    /// </param>
    public void SendGoAway(bool shuttingDown)
    {
        ulong lastRun;
        if (shuttingDown)
        {
            lock (_callsLock)
            {
                if (_refusing) return;
                _refusing = true;
                lastRun = _highestLaunchedId;
            }
        }
        else
        {
            if (_goAwaySent) return;
            lastRun = ulong.MaxValue;
        }
        _goAwaySent = true;
        TryWriteFrame(new FrameHeader { Type = FrameType.GoAway, RequestId = lastRun, StatusMessage = shuttingDown ? "server shutting down" : "idle" }, default);
    }

    /// <summary>Cancels every running call, one-way calls included (drain timeout, connection loss).</summary>
    public void CancelAll(StatusCode reason)
    {
        var calls = Snapshot();
        try
        {
            foreach (var call in calls) call.OnCancel(reason);
        }
        finally
        {
            ReleaseAll(calls);
        }
    }

    private void CloseStalled(long now)
    {
        Budget.CountStalledClose();
        long queued = QueuedBytes;
        double ms = Server.WriteStallMicros / 1000.0;
        if (Server.ProtocolMonitor.Limiter.ShouldLog(Source, ProtocolErrorMonitor.StalledConnectionCategory, out long suppressed))
        {
            RpcLog.WriteStalled(Logger, Peer, queued, ms, Budget.StalledConnectionsClosed, suppressed);
        }
        AbortOffSweeper(new RpcException(StatusCode.ResourceExhausted,
            $"client {Peer} read nothing of the {queued} bytes queued for it within {ms:0} ms (WriteStallTimeout)"));
    }

    protected override void OnClosed(Exception? reason)
    {
        lock (_callsLock) _closedForCalls = true;
        CancelAll(StatusCode.Unavailable);
        Server.OnConnectionClosed(this);
    }

    public bool Sweep(long now)
    {
        Server.Handlers.CheckProgress(now);
        RescueDeferredPump();
        RescueBlockedReadLoop();
        // A closed connection stays swept while calls it launched still run: a blocked one may need a rescue drainer.
        if (IsClosed) return ActiveCalls > 0;
        if (IsWriteStalled(now, Server.WriteStallMicros))
        {
            CloseStalled(now);
            return false;
        }
        if (Volatile.Read(ref _deadlineCalls) > 0)
        {
            var expired = Snapshot(c => c.DeadlineMicros != 0 && c.DeadlineMicros <= now && c.Context.CancellationReason == StatusCode.OK);
            // Cancelling runs the handlers' token callbacks and continuations: not on the sweeper (see DeadlineSweeper).
            if (expired.Count > 0) DeadlineSweeper.Offload(static calls => CancelExpired(calls), expired);
        }
        long idle = Server.IdleMicros;
        if (idle <= 0 || ActiveCalls != 0) return true;
        if (_idleGoAwayMicros == 0)
        {
            if (now - Math.Max(Volatile.Read(ref _lastCallMicros), LastActivityMicros) > idle)
            {
                // Ask the client to close rather than closing under it: a request it sent before the go-away reached
                // it would otherwise be lost with the connection. Requests that cross the go-away are still served.
                RpcLog.IdleClose(Logger, Peer);
                _idleGoAwayMicros = now;
                SendGoAway(shuttingDown: false);
            }
        }
        else if (now - _idleGoAwayMicros > IdleCloseGraceMicros)
        {
            // The client ignored the go-away; close from this side.
            CloseOffSweeper();
            return false;
        }
        return true;
    }
}

/// <summary>Calls that grant the client stream credits when they start.</summary>
internal interface IStreamGrant
{
    uint InitialGrant { get; }
}
