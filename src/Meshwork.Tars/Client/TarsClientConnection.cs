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
internal abstract class TarsClientConnection
{
    private readonly LogRateLimiter _malformedLog;
    private readonly Dictionary<int, TaskCompletionSource<byte[]>> _pending = new();
    private int _nextId = 1;
    private int _state; // 0 open, 1 retiring (no new calls), 2 closed

    protected TarsClientConnection(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog)
    {
        Endpoint = endpoint;
        Options = options;
        Log = log;
        _malformedLog = malformedLog;
    }

    protected TarsEndpoint Endpoint { get; }

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

    /// <summary>Registers a call and returns its id and the task of its reply body; false when the in-flight limit is reached.</summary>
    public bool TryRegister(out int requestId, out TaskCompletionSource<byte[]> reply)
    {
        reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            if (_pending.Count >= Options.MaxInFlightPerConnection)
            {
                requestId = 0;
                return false;
            }
            do
            {
                requestId = _nextId;
                _nextId = _nextId == int.MaxValue ? 1 : _nextId + 1; // wraps past 0: id 0 marks a server push
            }
            while (_pending.ContainsKey(requestId));
            _pending[requestId] = reply;
        }
        return true;
    }

    public void Forget(int requestId)
    {
        lock (_pending) _pending.Remove(requestId);
        if (Volatile.Read(ref _state) == 1) CloseIfDrained();
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
        TaskCompletionSource<byte[]>? waiter;
        lock (_pending)
        {
            if (_pending.Remove(id, out waiter) is false) waiter = null;
        }
        if (waiter is null)
        {
            TarsLog.UnknownReply(Log, Endpoint.ToString(), id);
            return;
        }
        waiter.TrySetResult(body);
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
        TaskCompletionSource<byte[]>[] waiters;
        lock (_pending)
        {
            waiters = [.. _pending.Values];
            _pending.Clear();
        }
        var error = TarsStatusMapping.ToRpcException(TarsReturnCode.ProxyConnectError,
            $"connection to TARS endpoint {Endpoint} lost before the reply: {reason}");
        foreach (var w in waiters) w.TrySetException(error);
    }
}
