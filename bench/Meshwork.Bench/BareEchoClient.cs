using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Meshwork.Bench.Bare;

namespace Meshwork.Bench;

/// <summary>
/// Client of the bare echo baseline: <c>connections</c> sockets, callers spread over them the same way as the gRPC
/// client (worker % connections). Each caller owns one reusable call slot whose index is the request id, so all
/// callers of a connection are in flight on it at once.
/// </summary>
internal sealed class BareEchoClient : IEchoClient
{
    private readonly BareEchoClientConnection[] _connections;

    /// <param name="endpoint">host:port printed by the bare server.</param>
    /// <param name="connections">sockets to open.</param>
    /// <param name="callers">workers that will call; worker w uses connection w % connections.</param>
    /// <param name="blockingReads">
    /// true: a thread per connection blocks in receive, so the kernel wakes the read loop directly; false: asynchronous
    /// receives (epoll thread, then a thread-pool thread), the I/O model Meshwork and Kestrel use.
    /// </param>
    public BareEchoClient(string endpoint, int connections, int callers, bool blockingReads)
    {
        var address = IPEndPoint.Parse(endpoint);
        int slotsPerConnection = (callers + connections - 1) / connections;
        _connections = new BareEchoClientConnection[connections];
        for (int i = 0; i < connections; i++) _connections[i] = new BareEchoClientConnection(address, slotsPerConnection, blockingReads);
    }

    public ValueTask CallAsync(int worker, byte[] payload) =>
        _connections[worker % _connections.Length].CallAsync(worker / _connections.Length, payload);

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
    }
}

/// <summary>
/// One multiplexed connection: callers append their frame to a shared pending buffer under a short lock; whoever finds
/// no write in progress writes everything pending in one send (write coalescing). One read loop splits the replies and
/// completes the callers by request id, inline: the caller's continuation runs on the read loop and queues its next
/// request, and the read loop writes those every <see cref="FlushEvery"/> replies and after the read. Buffers and call
/// slots are reused: no allocation per call.
/// </summary>
internal sealed class BareEchoClientConnection : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Replies dispatched between two writes of the requests they trigger. Writing once per read would leave the server
    /// idle while the client works through a batch and vice versa; writing every 16 replies lets both cores work at once
    /// at high concurrency for 1/16 of the syscalls of writing per call.
    /// </summary>
    private const int FlushEvery = 16;
    private readonly Socket _socket;
    private readonly CallSlot[] _slots;
    private readonly Lock _sendLock = new();
    private readonly Task _readLoop;
    private byte[] _input = new byte[BufferSize];
    private int _filled;
    private byte[] _pending = new byte[BufferSize];
    private byte[] _writing = new byte[BufferSize];
    private int _pendingLength;
    private bool _writeInProgress;
    private bool _dispatchingReplies; // the read loop will write what its inline continuations queue

    public BareEchoClientConnection(IPEndPoint endpoint, int slots, bool blockingReads)
    {
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(endpoint);
        _slots = new CallSlot[slots];
        for (int i = 0; i < slots; i++) _slots[i] = new CallSlot();
        if (blockingReads)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            new Thread(() =>
            {
                ReadLoopBlocking();
                done.SetResult();
            }) { IsBackground = true, Name = "bare echo client read" }.Start();
            _readLoop = done.Task;
        }
        else
        {
            _readLoop = ReadLoopAsync();
        }
    }

    public ValueTask CallAsync(int slotIndex, byte[] payload)
    {
        var slot = _slots[slotIndex];
        short version = slot.Start(payload.Length);
        lock (_sendLock)
        {
            int frame = BareFrame.HeaderSize + payload.Length;
            if (_pendingLength + frame > _pending.Length) Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + frame));
            BareFrame.WriteHeader(_pending.AsSpan(_pendingLength), payload.Length, slotIndex);
            payload.CopyTo(_pending.AsSpan(_pendingLength + BareFrame.HeaderSize));
            _pendingLength += frame;
            if (_writeInProgress || _dispatchingReplies) return new ValueTask(slot, version);
            _writeInProgress = true;
        }
        WritePending();
        return new ValueTask(slot, version);
    }

    /// <summary>Writes pending frames until none are left; only one thread at a time runs this (_writeInProgress).</summary>
    private void WritePending()
    {
        while (true)
        {
            int length;
            lock (_sendLock)
            {
                if (_pendingLength == 0)
                {
                    _writeInProgress = false;
                    return;
                }
                (_pending, _writing) = (_writing, _pending);
                length = _pendingLength;
                _pendingLength = 0;
            }
            // Calls in flight are bounded by the callers (≤ a few KiB per connection here), so a loopback send does not block.
            int sent = 0;
            while (sent < length) sent += _socket.Send(_writing.AsSpan(sent, length - sent), SocketFlags.None);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (OnReceived(await _socket.ReceiveAsync(_input.AsMemory(_filled), SocketFlags.None).ConfigureAwait(false))) { }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            foreach (var slot in _slots) slot.Fail(e);
        }
    }

    private void ReadLoopBlocking()
    {
        try
        {
            while (OnReceived(_socket.Receive(_input.AsSpan(_filled), SocketFlags.None))) { }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            foreach (var slot in _slots) slot.Fail(e);
        }
    }

    /// <summary>
    /// Completes the caller of every complete reply; their next requests are queued meanwhile and written every
    /// <see cref="FlushEvery"/> replies and after the read, so the server starts on the first ones while this thread
    /// still dispatches the rest.
    /// </summary>
    private bool OnReceived(int received)
    {
        if (received == 0) throw new IOException("the bare echo server closed the connection");
        _filled += received;
        lock (_sendLock) _dispatchingReplies = true;
        int consumed = 0, dispatched = 0;
        while (_filled - consumed >= BareFrame.HeaderSize)
        {
            var (length, requestId) = BareFrame.ReadHeader(_input.AsSpan(consumed), BareFrame.DefaultMaxPayload);
            if (_filled - consumed < BareFrame.HeaderSize + length) break;
            if ((uint)requestId >= (uint)_slots.Length) throw new InvalidDataException($"reply for unknown request id {requestId}");
            _slots[requestId].Complete(_input.AsSpan(consumed + BareFrame.HeaderSize, length));
            consumed += BareFrame.HeaderSize + length;
            if (++dispatched % FlushEvery == 0) WriteIfIdle();
        }
        _filled -= consumed;
        if (_filled > 0) _input.AsSpan(consumed, _filled).CopyTo(_input);
        if (_filled == _input.Length) Array.Resize(ref _input, _input.Length * 2);
        lock (_sendLock) _dispatchingReplies = false;
        WriteIfIdle();
        return true;
    }

    private void WriteIfIdle()
    {
        lock (_sendLock)
        {
            if (_writeInProgress || _pendingLength == 0) return;
            _writeInProgress = true;
        }
        WritePending();
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Shutdown(SocketShutdown.Both);
        _socket.Dispose();
        await _readLoop.ConfigureAwait(false);
    }

    /// <summary>A reusable awaitable for one caller's call; it keeps the reply in its own buffer.</summary>
    private sealed class CallSlot : IValueTaskSource
    {
        // Continuations run inline on the read loop (the fastest arrangement; Meshwork's client hops to the thread pool).
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
        private byte[] _reply = [];
        private int _expectedLength = -1;

        public short Start(int expectedLength)
        {
            _core.Reset();
            if (_reply.Length < expectedLength) _reply = new byte[expectedLength];
            Volatile.Write(ref _expectedLength, expectedLength);
            return _core.Version;
        }

        public void Complete(ReadOnlySpan<byte> reply)
        {
            int expected = Interlocked.Exchange(ref _expectedLength, -1);
            if (expected < 0) throw new InvalidDataException("reply for a request id that has no call in flight");
            if (reply.Length != expected)
            {
                _core.SetException(new InvalidDataException($"bad echo: sent {expected} bytes, got {reply.Length}"));
                return;
            }
            reply.CopyTo(_reply);
            _core.SetResult(true);
        }

        public void Fail(Exception error)
        {
            if (Interlocked.Exchange(ref _expectedLength, -1) >= 0) _core.SetException(error);
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
