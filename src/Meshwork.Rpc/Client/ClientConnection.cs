using System.Buffers;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Client;

/// <summary>Client end of one multiplexed connection: the table of calls in flight, stream slots, heartbeats and go-away.</summary>
internal sealed class ClientConnection : FrameConnection, DeadlineSweeper.ISweepable
{
    private readonly Dictionary<ulong, ClientCall> _calls = new();
    // A Lock rather than a Monitor on the table: taken twice per call (register, remove), and its owner check reads the
    // thread id from a managed thread-static instead of calling into the runtime.
    private readonly Lock _callsLock = new();
    // Stream slots (MaxConcurrentStreamsPerConnection): taken and returned with one interlocked operation each. A
    // SemaphoreSlim took its lock on every take and every release; it now only hands slots to callers that wait.
    // Alone on its cache line: callers take slots on their threads, the read loop returns them once per read.
    private PaddedCounter _freeSlots;
    private int _slotWaiters;
    private int _slotsFreedInRead; // read loop only: slots of calls answered in the current read, returned at its end
    private readonly SemaphoreSlim _slotHandoff = new(0);
    private ulong _nextId;
    private int _deadlineCalls;
    private volatile bool _goAway;
    // The lowest "highest id that ran" named by the server's go-aways: a call above it that is lost with the
    // connection never ran there. MaxValue until a shutting-down server says otherwise (idle go-aways send MaxValue).
    private ulong _goAwayLastRun = ulong.MaxValue;
    private volatile bool _idleClosed;
    private long _lastCallMicros;
    private long _heartbeatSentMicros;
    private string? _peerError;

    public ClientConnection(Stream stream, string peer, ClientShared shared)
        : base(stream, peer, shared.Limits, shared.Names, shared.Logger, shared.Buffers)
    {
        Shared = shared;
        DispatchMode = shared.Options.CompletionDispatch;
        _freeSlots.Value = shared.Options.MaxConcurrentStreamsPerConnection;
        _lastCallMicros = Clock.NowMicros;
        DeadlineSweeper.Register(this);
    }

    public ClientShared Shared { get; }

    /// <summary>True while new calls may start here (not draining after go-away, not closed).</summary>
    public bool IsUsable => !_goAway && !_idleClosed && !IsClosed;

    /// <summary>Why the connection stopped taking calls, for error messages (go-away, the peer's error frame, or close).</summary>
    public string StateReason => _peerError ?? (_goAway ? "the server sent go-away" : _idleClosed ? "the connection was idle and is closing" : IsClosed ? "the connection closed" : "open");

    public int ActiveCalls
    {
        get { lock (_callsLock) return _calls.Count; }
    }

    // ---- call table -------------------------------------------------------------------------------------------

    /// <summary>Takes a stream slot now if one is free and the server is keeping up with what was sent.</summary>
    public bool TryTakeSlot() => !IsWriteQueueFull && TryTakeFreeSlot();

    private bool TryTakeFreeSlot()
    {
        long free = Volatile.Read(ref _freeSlots.Value);
        while (free > 0)
        {
            long seen = Interlocked.CompareExchange(ref _freeSlots.Value, free - 1, free);
            if (seen == free) return true;
            free = seen;
        }
        return false;
    }

    /// <summary>Waits for a stream slot within the call's remaining budget (back-pressure).</summary>
    public async ValueTask TakeSlotAsync(string fullName, long startMicros, long deadlineMicros, CancellationToken ct)
    {
        while (true)
        {
            if (IsWriteQueueFull) await WaitForServerToReadAsync(fullName, startMicros, deadlineMicros, ct).ConfigureAwait(false);
            await TakeFreeSlotAsync(fullName, startMicros, deadlineMicros, ct).ConfigureAwait(false);
            // Callers released by the same progress all saw room; those that find the queue full again by now give
            // the slot back and wait for the server once more, instead of all adding to it.
            if (!IsWriteQueueFull || IsClosed) return;
            ReleaseSlot();
        }
    }

    private async ValueTask TakeFreeSlotAsync(string fullName, long startMicros, long deadlineMicros, CancellationToken ct)
    {
        var wait = deadlineMicros == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMicroseconds(Math.Max(0, deadlineMicros - Clock.NowMicros));
        bool ok;
        // Registered before looking again, so that a release either sees this waiter (and hands its slot over) or
        // happened before the second look, which then finds the slot (both sides use full fences).
        Interlocked.Increment(ref _slotWaiters);
        try
        {
            ok = TryTakeFreeSlot() || await _slotHandoff.WaitAsync(wait, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(StatusCode.Cancelled, $"call {fullName} was cancelled while waiting for a free stream on {Peer}");
        }
        finally
        {
            Interlocked.Decrement(ref _slotWaiters);
        }
        if (!ok)
        {
            throw new RpcException(StatusCode.DeadlineExceeded,
                $"deadline of {(deadlineMicros - startMicros) / 1000.0:0.#} ms exceeded for {fullName} while waiting for one of the " +
                $"{Shared.Options.MaxConcurrentStreamsPerConnection} streams of the connection to {Peer} (MaxConcurrentStreamsPerConnection)");
        }
    }

    /// <summary>Back-pressure on new calls: waits, within the call's budget, until the server has read enough of what was queued.</summary>
    private async ValueTask WaitForServerToReadAsync(string fullName, long startMicros, long deadlineMicros, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (deadlineMicros != 0) budget.CancelAfter(TimeSpan.FromMicroseconds(Math.Max(0, deadlineMicros - Clock.NowMicros)));
        try
        {
            await WaitForWriteRoomAsync(budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Cancelled, $"call {fullName} was cancelled while waiting for {Peer} to read what was already sent");
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(StatusCode.DeadlineExceeded,
                $"deadline of {(deadlineMicros - startMicros) / 1000.0:0.#} ms exceeded for {fullName} while waiting for {Peer} to read the " +
                $"{QueuedBytes} bytes already queued for it (MaxQueuedWriteBytes {Limits.MaxQueuedWriteBytes})");
        }
    }

    /// <summary>
    /// Returns a slot. When callers are waiting for one it is handed to them through the semaphore; one handed over
    /// after its waiter gave up stays there for the next caller that has to wait (fast takes see only the free count).
    /// </summary>
    public void ReleaseSlot() => ReleaseSlots(1);

    private void ReleaseSlots(int count)
    {
        Interlocked.Add(ref _freeSlots.Value, count);
        for (int i = 0; i < count && Volatile.Read(ref _slotWaiters) > 0 && TryTakeFreeSlot(); i++) _slotHandoff.Release();
    }

    /// <summary>Assigns an id and adds the call; fails if the connection stopped accepting calls. The caller holds a slot.</summary>
    public bool TryRegister(ClientCall call)
    {
        lock (_callsLock)
        {
            if (_goAway || _idleClosed || IsClosed) return false;
            call.Id = ++_nextId;
            call.MarkRegistered();
            _calls.Add(call.Id, call);
            if (call.DeadlineMicros != 0) _deadlineCalls++;
        }
        return true;
    }

    /// <summary>Removes <paramref name="call"/> if it is still in the table; the winner of this race completes the call.</summary>
    public bool TryRemove(ClientCall call) => TryRemove(call.Id, call);

    private bool TryRemove(ulong id, ClientCall call)
    {
        lock (_callsLock)
        {
            if (!_calls.TryGetValue(id, out var found) || !ReferenceEquals(found, call)) return false;
            RemoveLocked(call);
        }
        AfterRemove();
        return true;
    }

    private void RemoveLocked(ClientCall call)
    {
        // Marked before the remover queues a cancel (after this lock), so a request not yet queued is given up.
        call.MarkEnded();
        _calls.Remove(call.Id);
        if (call.DeadlineMicros != 0) _deadlineCalls--;
        // The idle timeout counts from the moment the table became empty (the constructor stamps the start); stamping
        // every registration and removal wrote a line that the callers' threads and the read loop share, per call.
        if (_calls.Count == 0) _lastCallMicros = Clock.CoarseMicros;
    }

    private void AfterRemove()
    {
        ReleaseSlot();
        if (_goAway && ActiveCalls == 0) _ = CloseAsync();
    }

    private ClientCall? Find(ulong id)
    {
        lock (_callsLock) return _calls.GetValueOrDefault(id);
    }

    // ---- sending ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Encodes and sends the opening frame of a call; on failure the call is failed (and its slot released). A request
    /// that finds the send queue at its limit is handed, encoded, to a sender that waits for room (see
    /// <see cref="SendWhenRoomAsync"/>); the call then counts as sent and ends by its reply, deadline or cancellation.
    /// </summary>
    public bool SendRequest<T>(ClientCall call, ref FrameHeader header, T message, MessageType<T> type, string? compression) =>
        SendRequest(call, ref header, message, type, compression, out _);

    /// <summary>
    /// As <see cref="SendRequest{T}(ClientCall, ref FrameHeader, T, MessageType{T}, string?)"/>; <paramref name="deferred"/>
    /// is the sender's task when the request waits for room, so that a streaming call can hold back its later frames
    /// (messages, end of stream) until its opening frame is queued ahead of them.
    /// </summary>
    public bool SendRequest<T>(ClientCall call, ref FrameHeader header, T message, MessageType<T> type, string? compression, out Task? deferred)
    {
        deferred = null;
        header.RequestId = call.Id;
        RpcException? error;
        PooledBufferWriter? body = null;
        try
        {
            body = MessageCodec.Encode(ref header, message, type, Shared.Serializers.For(type), Shared.CompressionId(compression), Shared.Compression, Limits.MaxFrameSize);
            // Only a call with a deadline can be ended by someone else (the deadline sweep) before its request is
            // queued: it is asked, under the write lock, whether it still wants the frame (and records the send time
            // for its deadline message). A call without one cannot end before this returns (its token is watched after).
            ulong id = call.Id;
            switch (TryWriteFrameWithinLimit(header, body.WrittenSpan, call.DeadlineMicros != 0 ? call : null, id))
            {
                case FrameWrite.Written:
                    MessageSizes.Report(MessageFlow.ClientRequest, call.FullName, body.WrittenCount);
                    return true;
                case FrameWrite.Abandoned:
                    // The sweep ended it (and failed it) between registration and now; nothing was sent.
                    return false;
                case FrameWrite.QueueFull:
                    deferred = SendWhenRoomAsync(call, id, call.FullName, header, body);
                    body = null; // the sender owns it now
                    return true;
            }
            error = new RpcException(StatusCode.Unavailable, $"connection to {Peer} closed before {call.FullName} could be sent: {StateReason}") { NotExecuted = true };
        }
        catch (RpcException ex)
        {
            error = ex;
        }
        finally
        {
            body?.Dispose();
        }
        if (TryRemove(call)) call.OnFailed(error);
        return false;
    }

    /// <summary>
    /// Sends an encoded request once the server has read enough of what is queued for it. The call stays in the table
    /// meanwhile, so its deadline and cancellation still end it; the sender then drops the frame instead of sending a
    /// request nobody waits for. <paramref name="id"/> identifies the call: a finished call object is reused.
    /// </summary>
    private async Task SendWhenRoomAsync(ClientCall call, ulong id, string fullName, FrameHeader header, PooledBufferWriter body)
    {
        try
        {
            var outcome = await WriteFrameWhenRoomAsync(header, body.WrittenMemory, call, id, CancellationToken.None).ConfigureAwait(false);
            if (outcome == FrameWrite.Written)
            {
                MessageSizes.Report(MessageFlow.ClientRequest, fullName, body.WrittenCount);
            }
            else if (outcome == FrameWrite.Closed && TryRemove(id, call))
            {
                call.OnFailed(new RpcException(StatusCode.Unavailable, $"connection to {Peer} closed before {fullName} could be sent: {StateReason}") { NotExecuted = true });
            }
        }
        catch (Exception ex)
        {
            // Nobody awaits this sender (a unary caller awaits the call): whatever refused the frame (a header over
            // MaxHeaderSize is only checked at the append) must end the call, or it would hold its slot for ever.
            if (TryRemove(id, call))
            {
                call.OnFailed(ex as RpcException ?? new RpcException(StatusCode.Internal, $"cannot send {fullName}: {ex.Message}", ex));
            }
        }
        finally
        {
            body.Dispose();
        }
    }

    /// <summary>Sends one message of a client stream, waiting while the send queue is at its limit.</summary>
    public async ValueTask SendStreamMessageAsync<T>(ulong id, string fullName, T message, MessageType<T> type, string? compression, CancellationToken ct)
    {
        var header = new FrameHeader { Type = FrameType.StreamData, RequestId = id };
        using var body = MessageCodec.Encode(ref header, message, type, Shared.Serializers.For(type), Shared.CompressionId(compression), Shared.Compression, Limits.MaxFrameSize);
        if (await WriteFrameWhenRoomAsync(header, body.WrittenMemory, null, 0, ct).ConfigureAwait(false) != FrameWrite.Written)
        {
            throw new RpcException(StatusCode.Unavailable, $"connection to {Peer} closed while streaming");
        }
        MessageSizes.Report(MessageFlow.ClientRequest, fullName, body.WrittenCount);
    }

    public void SendStreamEnd(ulong id) => TryWriteFrame(new FrameHeader { Type = FrameType.StreamEnd, RequestId = id }, default);

    public void SendWindowUpdate(ulong id, uint credits) => TryWriteFrame(new FrameHeader { Type = FrameType.WindowUpdate, RequestId = id, Window = credits }, default);

    public void SendCancel(ulong id) => TryWriteFrame(new FrameHeader { Type = FrameType.Cancel, RequestId = id }, default);

    // ---- receiving --------------------------------------------------------------------------------------------

    protected override void OnFrame(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        switch (header.Type)
        {
            case FrameType.Response:
                ClientCall? call;
                lock (_callsLock)
                {
                    if (_calls.TryGetValue(header.RequestId, out call)) RemoveLocked(call);
                }
                if (call is not null)
                {
                    // Its slot is returned with the others of this read (OnFramesHandled): the callers that take slots
                    // run on other threads, and one update per read keeps the counter's line from bouncing per reply.
                    _slotsFreedInRead++;
                    if (_goAway && ActiveCalls == 0) _ = CloseAsync();
                    call.OnResponse(ref header, body);
                }
                break;
            case FrameType.StreamData:
                Find(header.RequestId)?.OnStreamData(ref header, body);
                break;
            case FrameType.WindowUpdate:
                Find(header.RequestId)?.OnWindowUpdate(header.Window);
                break;
            case FrameType.Heartbeat:
                if ((header.Flags & FrameFlags.Ack) != 0) Volatile.Write(ref _heartbeatSentMicros, 0);
                else TryWriteFrame(new FrameHeader { Type = FrameType.Heartbeat, Flags = FrameFlags.Ack }, default);
                break;
            case FrameType.GoAway:
                if (header.RequestId < _goAwayLastRun) Volatile.Write(ref _goAwayLastRun, header.RequestId);
                _goAway = true;
                RpcLog.GoAwayReceived(Logger, Peer);
                if (ActiveCalls == 0) _ = CloseAsync();
                break;
            case FrameType.Error:
                _peerError = $"{header.Status}: {header.StatusMessage}";
                RpcLog.PeerReportedError(Logger, Peer, header.Status, header.StatusMessage);
                break;
            default:
                throw new ProtocolException($"unexpected {header.Type} frame from server {Peer}", StatusCode.InvalidArgument, ProtocolErrorKind.UnexpectedFrame);
        }
    }

    /// <summary>Completes a unary call whose reply this read loop decoded: here while that is quick (see
    /// <see cref="DispatchMode"/>), else on the channel's completion queue.</summary>
    public void CompleteFromReadLoop(IThreadPoolWorkItem completion)
    {
        var previous = t_readLoop;
        t_readLoop = this;
        try
        {
            if (TryRunInline(completion)) return;
        }
        finally
        {
            t_readLoop = previous;
        }
        Shared.Completions.Enqueue(completion);
    }

    [ThreadStatic] private static ClientConnection? t_readLoop;

    /// <summary>The connection whose read loop is running a caller's continuation on this thread, if any: a call that
    /// continuation starts goes out on the same connection (see <see cref="ConnectionPool.GetAsync"/>).</summary>
    public static ClientConnection? CurrentReadLoop => t_readLoop;

    /// <summary>Before a continuation runs on the read loop: the slots freed so far in this read are returned now, so
    /// that a caller starting its next call from the continuation (on this thread) finds one.</summary>
    protected override void BeforeInlineRun()
    {
        if (_slotsFreedInRead == 0) return;
        ReleaseSlots(_slotsFreedInRead);
        _slotsFreedInRead = 0;
    }

    protected override void OnFramesHandled()
    {
        if (_slotsFreedInRead == 0) return;
        ReleaseSlots(_slotsFreedInRead);
        _slotsFreedInRead = 0;
    }

    protected override void ReportProtocolError(ProtocolException error) => Shared.ProtocolMonitor.Report(Peer, Peer, error.Kind, error.Message);

    protected override void OnClosed(Exception? reason)
    {
        List<ClientCall> orphans;
        lock (_callsLock)
        {
            orphans = new List<ClientCall>(_calls.Values);
            foreach (var orphan in orphans) orphan.MarkEnded();
            _calls.Clear();
            _deadlineCalls = 0;
        }
        if (orphans.Count == 0) return;
        string why = _peerError ?? reason?.Message ?? "closed";
        ulong lastRun = Volatile.Read(ref _goAwayLastRun);
        foreach (var call in orphans)
        {
            ReleaseSlot();
            string lost = $"connection to {Peer} was lost before {call.FullName} completed: {why}";
            bool notRun = call.Id > lastRun;
            if (notRun) lost += $"; the server's go-away named request {lastRun} as the last it ran, so this call (request {call.Id}) did not run there";
            call.OnFailed(new RpcException(StatusCode.Unavailable, lost) { NotExecuted = notRun });
        }
    }

    // ---- timers -----------------------------------------------------------------------------------------------

    public bool Sweep(long now)
    {
        Shared.Completions.CheckProgress(now);
        RescueDeferredPump();
        RescueBlockedReadLoop();
        if (IsClosed && ActiveCalls == 0) return false;
        if (!IsClosed && !AbortQueued && IsWriteStalled(now, Shared.WriteStallMicros))
        {
            Shared.Buffers.CountStalledClose();
            long queued = QueuedBytes;
            double ms = Shared.WriteStallMicros / 1000.0;
            if (Shared.ProtocolMonitor.Limiter.ShouldLog(Peer, ProtocolErrorMonitor.StalledConnectionCategory, out long suppressed))
            {
                RpcLog.WriteStalled(Logger, Peer, queued, ms, Shared.Buffers.StalledConnectionsClosed, suppressed);
            }
            AbortOffSweeper(new RpcException(StatusCode.Unavailable, $"server {Peer} read nothing of the {queued} bytes queued for it within {ms:0} ms (WriteStallTimeout)"));
        }
        if (Volatile.Read(ref _deadlineCalls) > 0) ExpireDeadlines(now);

        long keepAlive = Shared.KeepAliveMicros;
        // Once an abort is queued, the connection is closing on the thread pool: no heartbeat to watch any more.
        if (keepAlive > 0 && !IsClosed && !AbortQueued)
        {
            long sent = Volatile.Read(ref _heartbeatSentMicros);
            if (sent != 0 && now - sent > Shared.KeepAliveTimeoutMicros)
            {
                RpcLog.HeartbeatTimeout(Logger, Peer, Shared.KeepAliveTimeoutMicros / 1000.0);
                AbortOffSweeper(new RpcException(StatusCode.Unavailable, $"no heartbeat answer from {Peer} within {Shared.KeepAliveTimeoutMicros / 1000} ms"));
            }
            else if (sent == 0 && now - LastActivityMicros > keepAlive)
            {
                Volatile.Write(ref _heartbeatSentMicros, now);
                TryWriteFrame(new FrameHeader { Type = FrameType.Heartbeat }, default);
            }
        }
        if (Shared.IdleMicros > 0 && !IsClosed && !_idleClosed)
        {
            // Decided under the table lock so that a call cannot register between the check and the close.
            bool close;
            lock (_callsLock)
            {
                close = _calls.Count == 0 && now - _lastCallMicros > Shared.IdleMicros;
                if (close) _idleClosed = true;
            }
            if (close)
            {
                RpcLog.IdleClose(Logger, Peer);
                CloseOffSweeper();
            }
        }
        return true;
    }

    private void ExpireDeadlines(long now)
    {
        List<ClientCall>? expired = null;
        lock (_callsLock)
        {
            foreach (var call in _calls.Values)
            {
                if (call.DeadlineMicros != 0 && call.DeadlineMicros <= now) (expired ??= new()).Add(call);
            }
            if (expired is not null)
            {
                foreach (var call in expired) RemoveLocked(call);
            }
        }
        if (expired is null) return;
        foreach (var call in expired)
        {
            AfterRemove();
            SendCancel(call.Id);
        }
        // A failed streaming call completes its reader and reply inline, running the caller's continuations: not on
        // the sweeper (see DeadlineSweeper). Unary calls only queue their completion, but one work item serves both.
        DeadlineSweeper.Offload(static s =>
        {
            foreach (var call in s.Expired) call.OnFailed(call.DeadlineError(s.Now));
        }, (Expired: expired, Now: now));
    }
}
