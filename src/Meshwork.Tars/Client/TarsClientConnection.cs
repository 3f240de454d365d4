using Meshwork.Rpc;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>
/// One multiplexed connection to a TARS endpoint, whatever carries it (<see cref="TarsStreamConnection"/> for tcp and
/// ssl, <see cref="TarsUdpConnection"/> for udp): requests carry ids unique among the calls in flight (never 0), replies
/// are matched by id in any order, late replies are ignored, and a push with id 0 and <c>_reconnect_</c> retires the
/// connection (calls in flight finish, new calls open a new one).
/// </summary>
internal abstract class TarsClientConnection : DeadlineSweeper.ISweepable
{
    private readonly LogRateLimiter _malformedLog;
    private readonly Dictionary<int, TarsPendingCall> _pending = new();
    private int _nextId = 1;
    private int _withDeadline; // calls in _pending with a deadline: the sweep skips the scan while there are none
    private int _state; // 0 open, 1 retiring (no new calls), 2 closed

    protected TarsClientConnection(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog)
    {
        Endpoint = endpoint;
        Options = options;
        Log = log;
        _malformedLog = malformedLog;
        DeadlineSweeper.Register(this);
    }

    protected TarsEndpoint Endpoint { get; }

    /// <summary>True when a write to the server has made no progress for <see cref="TarsClientOptions.WriteStallTimeout"/>.</summary>
    protected virtual bool IsWriteStalled(long nowMicros) => false;

    /// <summary>Where replies complete their calls (see <see cref="TarsPendingCall"/>).</summary>
    public RunQueue Completions { get; } = new();

    protected TarsClientOptions Options { get; }

    protected ILogger Log { get; }

    /// <summary>Cancelled when the connection closes; stops the transport's receive loop.</summary>
    protected CancellationTokenSource Closing { get; } = new();

    public bool CanTakeCalls => Volatile.Read(ref _state) == 0;

    public bool IsClosed => Volatile.Read(ref _state) == 2;

    /// <summary>Largest request frame this transport carries, length prefix included.</summary>
    public virtual int MaxFrameSize => Options.MaxPacketSize;

    /// <summary>Names the limit behind <see cref="MaxFrameSize"/>, for the error a too-large request gets.</summary>
    public virtual string MaxFrameSizeSetting => "TarsClientOptions.MaxPacketSize";

    /// <summary>Opens a connection over the endpoint's transport (tcp, ssl or udp).</summary>
    public static async Task<TarsClientConnection> ConnectAsync(TarsEndpoint endpoint, TarsClientOptions options, ILogger log,
        LogRateLimiter malformedLog, CancellationToken cancellationToken) => endpoint.Transport switch
        {
            TarsTransport.Udp => await TarsUdpConnection.OpenAsync(endpoint, options, log, malformedLog, cancellationToken).ConfigureAwait(false),
            _ => await TarsStreamConnection.OpenAsync(endpoint, options, log, malformedLog, cancellationToken).ConfigureAwait(false),
        };

    /// <summary>Sends one whole frame; a transport failure closes the connection and throws <see cref="RpcException"/> (Unavailable).</summary>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    /// <summary>Releases the transport (socket, stream); called once, by <see cref="Close"/>.</summary>
    protected abstract void CloseTransport();

    /// <summary>
    /// Sends one request frame. The default composes it into a pooled buffer and calls <see cref="SendAsync"/>; a
    /// stream connection appends it to its batch of pending frames instead.
    /// </summary>
    /// <exception cref="TarsPacketTooLargeException">The request is larger than <see cref="MaxFrameSize"/> (nothing was sent).</exception>
    public virtual async ValueTask SendRequestAsync(TarsRequestFrame request, CancellationToken cancellationToken)
    {
        using var frame = new TarsBufferWriter(256 + request.Arguments.Buffer.Length);
        TarsFrame.Compose(frame, request, TarsRequestFrame.Writer, MaxFrameSize);
        TarsClientMetrics.Size(TarsClientMetrics.RequestSize, request.Servant, request.Function, frame.WrittenMemory.Length);
        await SendAsync(frame.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Registers a call: gives it an id unique among the calls in flight and, when <paramref name="deadlineMicros"/> is
    /// not 0, a deadline the connection's sweep enforces. Null when the in-flight limit is reached.
    /// </summary>
    public TarsPendingCall? TryRegister(long deadlineMicros)
    {
        lock (_pending)
        {
            if (_pending.Count >= Options.MaxInFlightPerConnection) return null;
            int requestId;
            do
            {
                requestId = _nextId;
                _nextId = _nextId == int.MaxValue ? 1 : _nextId + 1; // wraps past 0: id 0 marks a server push
            }
            while (_pending.ContainsKey(requestId));
            var call = new TarsPendingCall(this, requestId, deadlineMicros);
            _pending[requestId] = call;
            if (deadlineMicros != 0) _withDeadline++;
            return call;
        }
    }

    /// <summary>Takes a call out of the table; true for the one caller that took it (and so completes it).</summary>
    public bool TryTake(TarsPendingCall call)
    {
        bool taken;
        lock (_pending)
        {
            taken = _pending.TryGetValue(call.RequestId, out var found) && ReferenceEquals(found, call) && _pending.Remove(call.RequestId);
            if (taken && call.DeadlineMicros != 0) _withDeadline--;
        }
        return taken;
    }

    /// <summary>Ends a call's registration (after its reply, or when it failed before one could come).</summary>
    public void Forget(TarsPendingCall call)
    {
        TryTake(call);
        call.Release();
        if (Volatile.Read(ref _state) == 1) CloseIfDrained();
    }

    /// <summary>Called every <see cref="DeadlineSweeper.Resolution"/>: fails the calls whose deadline passed. False once closed.</summary>
    bool DeadlineSweeper.ISweepable.Sweep(long nowMicros)
    {
        Completions.CheckProgress(nowMicros); // a continuation that blocks must not hold up the replies queued behind it
        // A closed connection stays swept while completions wait: the failures Close queued may sit behind a blocked one.
        if (IsClosed) return Completions.Pending > 0;
        if (IsWriteStalled(nowMicros))
        {
            Close($"{Endpoint} read nothing of what was sent to it within {Options.WriteStallTimeout.TotalMilliseconds:0} ms (WriteStallTimeout)");
            return Completions.Pending > 0;
        }
        List<TarsPendingCall>? expired = null;
        lock (_pending)
        {
            if (_withDeadline == 0) return true;
            foreach (var call in _pending.Values)
            {
                if (call.DeadlineMicros != 0 && call.DeadlineMicros <= nowMicros) (expired ??= []).Add(call);
            }
            if (expired is not null)
            {
                foreach (var call in expired) _pending.Remove(call.RequestId);
                _withDeadline -= expired.Count;
            }
        }
        if (expired is not null)
        {
            foreach (var call in expired) call.Fail(new TimeoutException());
        }
        return true;
    }

    /// <summary>Counts a reply that cannot be decoded and logs it, rate-limited.</summary>
    protected void ReportMalformed(string reason)
    {
        if (_malformedLog.ShouldLog(Endpoint.ToString(), 1, out long suppressed)) TarsLog.MalformedReply(Log, Endpoint.ToString(), reason, suppressed);
    }

    /// <summary>Routes one reply body to its call (the caller decodes it); throws <see cref="TarsDecodeException"/> when not even the id reads.</summary>
    protected void OnFrame(byte[] body)
    {
        // Peek the request id (tag 3 of a ResponsePacket, tag 4 of a TUP RequestPacket) to route the body; the caller decodes it.
        bool tup = TarsVersion.IsTup(Options.Version);
        var reader = new TarsReader(body, Options.MaxDepth);
        reader.ReadInt16(1, true);
        int id = tup ? reader.ReadInt32(4, true) : reader.ReadInt32(3, true);
        if (id == 0 && !tup)
        {
            var push = TarsResponsePacket.Decode(body, Options.MaxDepth);
            if (push.ResultDescription == "_reconnect_")
            {
                TarsLog.ReconnectPush(Log, Endpoint.ToString(), push.ResultDescription);
                Interlocked.CompareExchange(ref _state, 1, 0);
                CloseIfDrained();
            }
            return;
        }
        TarsPendingCall? waiter;
        lock (_pending)
        {
            if (_pending.Remove(id, out waiter) && waiter.DeadlineMicros != 0) _withDeadline--;
        }
        if (waiter is null)
        {
            TarsLog.UnknownReply(Log, Endpoint.ToString(), id);
            return;
        }
        waiter.Complete(body);
    }

    private void CloseIfDrained()
    {
        bool empty;
        lock (_pending) empty = _pending.Count == 0;
        if (empty) Close("retired by the server");
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        Closing.Cancel();
        CloseTransport();
        TarsPendingCall[] waiters;
        lock (_pending)
        {
            waiters = [.. _pending.Values];
            _pending.Clear();
            _withDeadline = 0;
        }
        var error = TarsStatusMapping.ToRpcException(TarsReturnCode.ProxyConnectError,
            $"connection to TARS endpoint {Endpoint} lost before the reply: {reason}");
        foreach (var w in waiters) w.Fail(error);
    }
}
