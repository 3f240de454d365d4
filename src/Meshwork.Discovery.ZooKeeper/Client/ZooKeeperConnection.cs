using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Meshwork.Discovery.ZooKeeper.Protocol;

namespace Meshwork.Discovery.ZooKeeper.Client;

/// <summary>What the server granted in its ConnectResponse.</summary>
internal readonly record struct SessionGrant(long SessionId, byte[] Password, TimeSpan Timeout, bool ReadOnly);

/// <summary>
/// One TCP connection to one server, after a successful handshake. Requests are pipelined: each gets the next xid
/// and joins the pending queue in the order it is written, and the server answers in that order, so every reply must
/// match the oldest pending request (anything else is a protocol error that drops the connection). A send loop
/// writes frames and a ping when the connection has been idle for a third of the session timeout; a receive loop
/// reads frames, refusing a length above the maximum before allocating, and drops the connection when the server has
/// sent nothing for two thirds of the session timeout. When the connection ends, every pending request fails with
/// <see cref="ZooKeeperErrorCode.ConnectionLoss"/> and <see cref="Closed"/> completes with the reason.
/// </summary>
internal sealed class ZooKeeperConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _maxPacket;
    private readonly int _maxInFlight;
    private readonly TimeSpan _readTimeout;
    private readonly TimeSpan _pingInterval;
    private readonly Action<WatchedEvent> _onEvent;
    private readonly Action<long> _onZxid;
    private readonly Action _onPingReply;
    private readonly Channel<JuteWriter> _outgoing = Channel.CreateUnbounded<JuteWriter>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Queue<PendingRequest> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextXid;
    private long _lastSendTicks = Stopwatch.GetTimestamp();
    private Exception? _failure;

    private ZooKeeperConnection(Socket socket, ZooKeeperHost server, SessionGrant grant, ZooKeeperDiscoveryOptions options,
        Action<WatchedEvent> onEvent, Action<long> onZxid, Action onPingReply)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Server = server;
        Grant = grant;
        _maxPacket = options.MaxPacketSize;
        _maxInFlight = options.MaxInFlightRequests;
        // The same fractions the reference client uses: ping at a third, give up at two thirds of the session
        // timeout, so a dead connection is noticed and replaced before the server expires the session.
        _readTimeout = grant.Timeout * 2 / 3;
        _pingInterval = grant.Timeout / 3;
        _onEvent = onEvent;
        _onZxid = onZxid;
        _onPingReply = onPingReply;
    }

    public ZooKeeperHost Server { get; }

    public SessionGrant Grant { get; }

    /// <summary>Completes once, with the reason, when the connection has ended and its receive loop has stopped.</summary>
    public Task<Exception> Closed => _closed.Task;

    /// <summary>
    /// Connects to <paramref name="server"/> and performs the handshake: a ConnectRequest for the given session (0 for
    /// a new one) and the server's ConnectResponse. A response with a zero timeout means the session has expired.
    /// </summary>
    /// <exception cref="ZooKeeperException">
    /// <see cref="ZooKeeperErrorCode.SessionExpired"/>, <see cref="ZooKeeperErrorCode.ConnectionLoss"/> (refused, reset,
    /// closed, timed out) or <see cref="ZooKeeperErrorCode.MarshallingError"/> (malformed response).
    /// </exception>
    public static async Task<ZooKeeperConnection> OpenAsync(ZooKeeperHost server, long sessionId, byte[] password, long lastZxid,
        ZooKeeperDiscoveryOptions options, Action<WatchedEvent> onEvent, Action<long> onZxid, Action onPingReply, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, timeout.Token).ConfigureAwait(false);
            using (var request = new JuteWriter(64))
            {
                request.WriteInt(ZooKeeperWire.ProtocolVersion);
                request.WriteLong(lastZxid);
                request.WriteInt((int)options.SessionTimeout.TotalMilliseconds);
                request.WriteLong(sessionId);
                request.WriteBuffer(password);
                request.WriteBool(false); // readOnly: this client needs a quorum (it writes its instances)
                await socket.SendAsync(request.Frame(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            var (frame, length) = await ReadFrameAsync(socket, new byte[4], options.MaxPacketSize, "ConnectResponse", timeout.Token).ConfigureAwait(false);
            SessionGrant grant;
            try
            {
                grant = ParseConnectResponse(frame.AsSpan(0, length), server);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
            var connection = new ZooKeeperConnection(socket, server, grant, options, onEvent, onZxid, onPingReply);
            connection.Start();
            return connection;
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is ZooKeeperException) throw;
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            string reason = e switch
            {
                OperationCanceledException => $"no handshake within {options.ConnectTimeout.TotalMilliseconds:0} ms",
                EndOfStreamException => "the server closed the connection during the handshake (is this client's last seen zxid ahead of the server's data?)",
                SocketException s => s.SocketErrorCode.ToString() + ": " + s.Message,
                _ => e.Message,
            };
            throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"cannot connect to {server}: {reason}", inner: e);
        }
    }

    private static SessionGrant ParseConnectResponse(ReadOnlySpan<byte> frame, ZooKeeperHost server)
    {
        var reader = new JuteReader(frame, "ConnectResponse from " + server);
        int protocolVersion = reader.ReadInt("protocolVersion");
        int timeOut = reader.ReadInt("timeOut");
        long sessionId = reader.ReadLong("sessionId");
        var password = reader.ReadBuffer("passwd") ?? [];
        // Servers since 3.3 append the read-only flag; older ones do not.
        bool readOnly = reader.Remaining > 0 && reader.ReadBool("readOnly");
        if (protocolVersion != ZooKeeperWire.ProtocolVersion)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"{server} answered with protocol version {protocolVersion}, expected 0");
        }
        if (timeOut <= 0)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, $"{server} reports session 0x{sessionId:x} expired");
        }
        return new SessionGrant(sessionId, password, TimeSpan.FromMilliseconds(timeOut), readOnly);
    }

    /// <summary>Reads one length-prefixed frame into a pooled buffer (the caller returns it).</summary>
    private static async Task<(byte[] Frame, int Length)> ReadFrameAsync(Socket socket, byte[] prefix, int maxPacket, string what, CancellationToken ct)
    {
        await ReceiveExactlyAsync(socket, prefix.AsMemory(0, 4), ct).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        CheckLength(length, maxPacket, what);
        var frame = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await ReceiveExactlyAsync(socket, frame.AsMemory(0, length), ct).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(frame);
            throw;
        }
        return (frame, length);
    }

    private static void CheckLength(int length, int maxPacket, string what)
    {
        if (length < 0 || length > maxPacket)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError,
                $"a {what} frame claims {length} bytes, outside 0..{maxPacket} (MaxPacketSize); the stream is not ZooKeeper's or is corrupt");
        }
    }

    private static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException("the server closed the connection");
            buffer = buffer[n..];
        }
    }

    private void Start()
    {
        _ = Task.Run(SendLoopAsync);
        _ = Task.Run(ReceiveLoopAsync);
        _ = Task.Run(PingLoopAsync);
    }

    /// <summary>
    /// Queues a request: <paramref name="frame"/> holds a request header (xid placeholder, op) and the body; the xid is
    /// set here, under the same lock that queues it, so the wire order and the pending order agree.
    /// </summary>
    public Task<T> Send<T>(JuteWriter frame, OpCode op, string? path, ReplyParser<T> parse, ErrorParser<T>? parseError = null)
    {
        var pending = new PendingRequest<T>(op, path, parse, parseError);
        lock (_pending)
        {
            if (_failure is not null)
            {
                frame.Dispose();
                throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"connection to {Server} is closed: {_failure.Message}", path);
            }
            if (_pending.Count >= _maxInFlight)
            {
                frame.Dispose();
                throw new ZooKeeperException(ZooKeeperErrorCode.Throttled, $"{_maxInFlight} requests already in flight to {Server} (MaxInFlightRequests)", path);
            }
            pending.Xid = _nextXid = _nextXid == int.MaxValue ? 1 : _nextXid + 1;
            frame.PatchInt(4, pending.Xid);
            _pending.Enqueue(pending);
            _outgoing.Writer.TryWrite(frame);
        }
        return pending.Task;
    }

    /// <summary>Writes a request header for <paramref name="op"/> (the xid is patched in by <see cref="Send"/>).</summary>
    public static JuteWriter Header(OpCode op, int capacity = 128)
    {
        var frame = new JuteWriter(capacity);
        frame.WriteInt(0);
        frame.WriteInt((int)op);
        return frame;
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                using (frame)
                {
                    await _stream.WriteAsync(frame.Frame(), _closing.Token).ConfigureAwait(false);
                }
                Volatile.Write(ref _lastSendTicks, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception e)
        {
            Fail(e is OperationCanceledException ? new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "closed") : e);
        }
    }

    private async Task PingLoopAsync()
    {
        using var timer = new PeriodicTimer(_pingInterval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastSendTicks)) < _pingInterval) continue;
                var ping = new JuteWriter(16);
                ping.WriteInt(SpecialXid.Ping);
                ping.WriteInt((int)OpCode.Ping);
                if (!_outgoing.Writer.TryWrite(ping)) ping.Dispose();
            }
        }
        catch (OperationCanceledException)
        {
            // closing
        }
    }

    private async Task ReceiveLoopAsync()
    {
        // One timer for the whole connection, pushed forward by every frame: no allocation per frame.
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        var prefix = new byte[4];
        try
        {
            while (true)
            {
                idle.CancelAfter(_readTimeout);
                byte[] frame;
                int length;
                try
                {
                    (frame, length) = await ReadFrameAsync(_socket, prefix, _maxPacket, "reply", idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_closing.IsCancellationRequested)
                {
                    throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss,
                        $"{Server} sent nothing for {_readTimeout.TotalMilliseconds:0} ms (two thirds of the session timeout)");
                }
                try
                {
                    Dispatch(frame.AsSpan(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(frame);
                }
            }
        }
        catch (Exception e)
        {
            Fail(e is OperationCanceledException ? new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "closed") : e);
        }
        finally
        {
            // Only after this loop has stopped: it is the one that registers watches (in reply parsers), so once
            // Closed completes no watch can be added for this connection any more.
            _closed.TrySetResult(_failure!);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame, "reply from " + Server);
        int xid = reader.ReadInt("xid");
        long zxid = reader.ReadLong("zxid");
        var err = (ZooKeeperErrorCode)reader.ReadInt("err");
        switch (xid)
        {
            case SpecialXid.Ping:
                _onPingReply();
                return;
            case SpecialXid.Auth:
            case SpecialXid.SetWatches:
                return;
            case SpecialXid.Notification:
                var eventReader = new JuteReader(frame[ZooKeeperWire.ReplyHeaderLength..], "WatcherEvent from " + Server);
                var type = (WatchEventType)eventReader.ReadInt("type");
                var state = (WatchKeeperState)eventReader.ReadInt("state");
                var path = eventReader.ReadString("path");
                _onEvent(new WatchedEvent(type, state, path));
                return;
        }
        PendingRequest? pending;
        lock (_pending) _pending.TryDequeue(out pending);
        if (pending is null || pending.Xid != xid)
        {
            var error = new ZooKeeperException(ZooKeeperErrorCode.MarshallingError,
                $"{Server} answered xid {xid} but the oldest pending request is {(pending is null ? "none" : pending.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            pending?.Fail(error);
            throw error;
        }
        if (zxid > 0) _onZxid(zxid);
        if (err != ZooKeeperErrorCode.Ok)
        {
            if (pending.TryCompleteError(err)) return;
            pending.Fail(new ZooKeeperException(err, $"{pending.Op} refused by {Server}", pending.Path));
            return;
        }
        try
        {
            pending.Complete(ref reader);
        }
        catch (ZooKeeperException e)
        {
            // A malformed reply body: the request fails, and so does the connection (the stream cannot be trusted).
            pending.Fail(e);
            throw;
        }
    }

    /// <summary>Ends the connection (idempotent): closes the socket and fails every pending request.</summary>
    public void Fail(Exception reason)
    {
        PendingRequest[] orphans;
        lock (_pending)
        {
            if (_failure is not null) return;
            _failure = reason;
            orphans = [.. _pending];
            _pending.Clear();
            _outgoing.Writer.TryComplete();
        }
        _closing.Cancel();
        _stream.Dispose();
        while (_outgoing.Reader.TryRead(out var frame)) frame.Dispose();
        foreach (var p in orphans)
        {
            p.Fail(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss,
                $"connection to {Server} lost before the reply ({reason.Message}); the request may or may not have been applied", p.Path, reason));
        }
    }
}
