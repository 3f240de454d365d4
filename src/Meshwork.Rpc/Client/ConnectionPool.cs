using Meshwork.Internal;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Client;

/// <summary>
/// The connections a channel keeps to one endpoint. Calls pick a slot round-robin; a dead or draining slot is
/// reconnected on demand, one attempt at a time, with exponential backoff and jitter between failed attempts.
/// A call that picks a slot while it backs off goes to another slot's connection; only when no slot has one does it
/// fail fast with <see cref="StatusCode.Unavailable"/> saying when the next attempt is.
/// </summary>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly RpcEndpoint _endpoint;
    private readonly ClientShared _shared;
    private readonly Slot[] _slots;
    private readonly CancellationTokenSource _disposed = new();
    private uint _next;
    // True once every slot has a connection, false again while one is being replaced. A flag, not a look at every
    // slot's connection per call: that read the state of the other connections, whose lines their read loops keep
    // writing, on every call (at 4 connections and 64 callers the caller's path ran at about half the rate of one).
    private volatile bool _everySlotOpen;

    private sealed class Slot(RpcClientOptions options)
    {
        // Reconnect waits are 80–100 % of the nominal delay (up to 20 % jitter), so ReconnectBackoffMax stays a ceiling.
        public readonly JitteredBackoff Backoff = new(options.ReconnectBackoffInitial, options.ReconnectBackoffMax, multiplier: 2, jitter: 0.2);
        public ClientConnection? Connection;
        public Task<ClientConnection>? Connecting;
        public int Failures;
        public long RetryAtMicros;
        public RpcException? LastError;
        public readonly List<ClientConnection> Draining = new();
    }

    public ConnectionPool(RpcEndpoint endpoint, ClientShared shared)
    {
        _endpoint = endpoint;
        _shared = shared;
        _slots = new Slot[shared.Options.ConnectionsPerEndpoint];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new Slot(shared.Options);
    }

    public RpcEndpoint Endpoint => _endpoint;

    /// <summary>The connections currently in use (for tests and diagnostics).</summary>
    internal IEnumerable<ClientConnection> CurrentConnections
    {
        get
        {
            foreach (var slot in _slots)
            {
                if (slot.Connection is { } connection) yield return connection;
            }
        }
    }

    /// <summary>A usable connection; completes synchronously on the hot path.</summary>
    public ValueTask<ClientConnection> GetAsync(CancellationToken ct)
    {
        // A caller whose continuation runs on a connection's read loop (its previous reply) stays on that connection:
        // its request then leaves in the write that loop makes at the end of its read, instead of being appended to
        // another connection's queue from this thread (with four connections and 64 callers, round-robin from the read
        // loops ran at half the rate of one connection). Callers are spread over the connections by their first call.
        // Only once every slot is open: until then round-robin goes on, so a caller making its calls one after another
        // still opens the pool's configured number of connections.
        if (_slots.Length > 1 && _everySlotOpen && ClientConnection.CurrentReadLoop is { } current && ReferenceEquals(current.Shared, _shared)
            && current.IsUsable)
        {
            return new ValueTask<ClientConnection>(current);
        }
        var slot = _slots[_slots.Length == 1 ? 0 : (int)(Interlocked.Increment(ref _next) % (uint)_slots.Length)];
        var connection = slot.Connection;
        if (connection is not null && connection.IsUsable) return new ValueTask<ClientConnection>(connection);
        return ConnectSlotAsync(slot, ct);
    }

    private bool EverySlotUsable()
    {
        foreach (var slot in _slots)
        {
            if (Volatile.Read(ref slot.Connection) is not { IsUsable: true }) return false;
        }
        return true;
    }

    /// <summary>A usable connection of a slot other than <paramref name="down"/>, if one has one.</summary>
    private ClientConnection? AnotherUsable(Slot down)
    {
        foreach (var slot in _slots)
        {
            if (!ReferenceEquals(slot, down) && Volatile.Read(ref slot.Connection) is { IsUsable: true } connection) return connection;
        }
        return null;
    }

    /// <summary>Called when one of the pool's connections closes: callers on the read loops of the others go round the
    /// slots again, so that the next one to reach the lost slot reconnects it.</summary>
    private void OnConnectionClosed() => _everySlotOpen = false;

    private async ValueTask<ClientConnection> ConnectSlotAsync(Slot slot, CancellationToken ct)
    {
        Task<ClientConnection> task;
        lock (slot)
        {
            if (slot.Connection is { IsUsable: true } ready) return ready;
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            if (slot.Connection is { } old)
            {
                slot.Draining.Add(old);
                slot.Connection = null;
                _everySlotOpen = false;
            }
            if (slot.Connecting is null)
            {
                long now = Clock.NowMicros;
                if (now < slot.RetryAtMicros && slot.LastError is { } last)
                {
                    // One slot that cannot connect must not fail the calls that the others can carry (a caller on a
                    // read loop goes round the slots while one is being replaced, and would land here one time in N).
                    if (AnotherUsable(slot) is { } other) return other;
                    throw new RpcException(StatusCode.Unavailable,
                        $"{last.Message}; next attempt in {(slot.RetryAtMicros - now) / 1000.0:0} ms", last) { NotExecuted = true };
                }
                slot.Connecting = ConnectAsync(slot);
            }
            task = slot.Connecting;
        }
        try
        {
            return await task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.NotExecuted && AnotherUsable(slot) is { } other)
        {
            // Nothing was sent on the connect that failed: the call goes on another slot's connection instead.
            return other;
        }
    }

    private async Task<ClientConnection> ConnectAsync(Slot slot)
    {
        await Task.Yield();
        try
        {
            var (stream, peer) = await SocketTransport.ConnectAsync(_endpoint, _shared.Options.Tls, _shared.Options.ConnectTimeout, _shared.ReaderThreads, _disposed.Token).ConfigureAwait(false);
            var connection = new ClientConnection(stream, peer, _shared);
            connection.Start();
            RpcLog.Connected(_shared.Logger, peer);
            lock (slot)
            {
                if (_disposed.IsCancellationRequested)
                {
                    // Disposed while this connect was finishing: nobody would ever close this connection.
                    slot.Connecting = null;
                    _ = connection.CloseAsync();
                    throw new ObjectDisposedException(nameof(ConnectionPool));
                }
                slot.Connection = connection;
                slot.Connecting = null;
                slot.Failures = 0;
                slot.Backoff.Reset();
                slot.LastError = null;
                slot.Draining.RemoveAll(c => c.IsClosed);
            }
            if (_slots.Length > 1)
            {
                _ = connection.Closed.ContinueWith(static (_, pool) => ((ConnectionPool)pool!).OnConnectionClosed(), this,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                if (EverySlotUsable())
                {
                    _everySlotOpen = true;
                    // A connection that closed between the look and the store has already run OnConnectionClosed.
                    if (!EverySlotUsable()) _everySlotOpen = false;
                }
            }
            return connection;
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            // No call was sent on a connection that never opened: whoever retries them cannot run them twice.
            var error = (ex as RpcException ?? new RpcException(StatusCode.Unavailable, $"connect to {_endpoint} failed: {ex.Message}", ex)).AsNotExecuted();
            lock (slot)
            {
                slot.Failures++;
                var delay = slot.Backoff.Next();
                slot.RetryAtMicros = Clock.NowMicros + (long)delay.TotalMicroseconds;
                slot.LastError = error;
                slot.Connecting = null;
                RpcLog.ConnectFailed(_shared.Logger, _endpoint.Display, slot.Failures, delay.TotalMilliseconds, error.Message);
            }
            throw error;
        }
    }

    /// <summary>Closes every connection; idempotent (a second call returns at once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0) return;
        _disposed.Cancel();
        var closing = new List<Task>();
        foreach (var slot in _slots)
        {
            lock (slot)
            {
                if (slot.Connection is { } c) closing.Add(c.CloseAsync());
                closing.AddRange(slot.Draining.Select(d => d.CloseAsync()));
                slot.Connection = null;
            }
        }
        // _disposed is not disposed itself: a connect still finishing reads its token, and it holds no timer.
        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    private int _disposeStarted;
}
