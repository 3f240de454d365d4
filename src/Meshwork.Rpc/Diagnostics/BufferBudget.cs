namespace Meshwork.Rpc.Diagnostics;

/// <summary>
/// Memory held for connections, counted as it is taken and returned: frames queued for sending, bytes read but not
/// yet parsed, and (on a server) the request bodies of calls being served, whose replies are still to come.
/// A server's budget is <see cref="Server.RpcServerOptions.MaxBufferedBytes"/>: while it is used up, the server stops
/// reading from every connection that still holds memory, so only connections that read their replies keep being
/// served. Thread-safe; reading is lock-free, so a metrics layer can poll it.
/// </summary>
public sealed class BufferBudget
{
    private long _used;
    private long _peak;
    private long _readPauses;
    private long _waitingWriters;
    private long _stalledClosed;
    private long _trims;
    private bool _trimAfterBurst;
    private int _inBurst;        // 1 once usage reached half the capacity, until it falls back
    private long _lastTrimMicros;

    internal BufferBudget(long capacity) => Capacity = capacity;

    /// <summary>Bytes the budget allows before connections holding memory stop being read (<see cref="long.MaxValue"/>: no shared limit).</summary>
    public long Capacity { get; }

    /// <summary>Bytes held right now.</summary>
    public long BufferedBytes => Volatile.Read(ref _used);

    /// <summary>Most bytes held at once since the start or the last <see cref="ResetPeak"/>.</summary>
    public long PeakBufferedBytes => Volatile.Read(ref _peak);

    /// <summary>Times a connection stopped reading because its own limit or this budget was reached (back-pressure).</summary>
    public long ReadPauses => Volatile.Read(ref _readPauses);

    /// <summary>
    /// Frames of new work (requests, one-way calls, stream messages) waiting right now for room in a send queue of this
    /// budget's connections: callers held back because a peer reads more slowly than they send.
    /// </summary>
    public long WritersWaitingForRoom => Volatile.Read(ref _waitingWriters);

    /// <summary>Connections closed because their peer read nothing of what was queued for it within the write-stall timeout.</summary>
    public long StalledConnectionsClosed => Volatile.Read(ref _stalledClosed);

    /// <summary>Times the memory of a burst was handed back to the operating system (see <see cref="Server.RpcServerOptions.TrimMemoryAfterBurst"/>).</summary>
    public long MemoryTrims => Volatile.Read(ref _trims);

    /// <summary>Starts a new peak measurement from the current level.</summary>
    public void ResetPeak() => Volatile.Write(ref _peak, BufferedBytes);

    internal bool IsExhausted => Volatile.Read(ref _used) >= Capacity;

    /// <summary>Interval between two trims at most, so that repeated bursts cost one collection a minute.</summary>
    internal static readonly TimeSpan MinTrimInterval = TimeSpan.FromMinutes(1);

    internal void EnableTrimAfterBurst() => _trimAfterBurst = true;

    internal void Add(long delta)
    {
        long now = Interlocked.Add(ref _used, delta);
        if (_trimAfterBurst) WatchBurst(now);
        if (delta <= 0) return;
        long peak = Volatile.Read(ref _peak);
        while (now > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peak, now, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }

    /// <summary>
    /// A burst is usage reaching half the capacity; it is over when usage falls to a sixteenth. Then the runtime is
    /// asked, once, for a compacting collection that decommits free memory: the buffers themselves were already
    /// returned, but the GC keeps the memory they used committed (a 256-slow-reader burst left ~180 MiB committed
    /// around a 20 MiB heap), which is the "memory stays after the connections closed" of issue 11.
    /// </summary>
    private void WatchBurst(long used)
    {
        if (used >= Capacity / 2)
        {
            Volatile.Write(ref _inBurst, 1);
            return;
        }
        if (used > Capacity / 16 || Volatile.Read(ref _inBurst) == 0) return;
        long nowMicros = Internal.Clock.NowMicros;
        long last = Volatile.Read(ref _lastTrimMicros);
        if (last != 0 && nowMicros - last < (long)MinTrimInterval.TotalMicroseconds) return;
        if (Interlocked.Exchange(ref _inBurst, 0) == 0) return;
        Volatile.Write(ref _lastTrimMicros, nowMicros);
        ThreadPool.UnsafeQueueUserWorkItem(static budget =>
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Interlocked.Increment(ref budget._trims);
        }, this, preferLocal: false);
    }

    internal void CountReadPause() => Interlocked.Increment(ref _readPauses);

    internal void AddWaitingWriter(int delta) => Interlocked.Add(ref _waitingWriters, delta);

    internal void CountStalledClose() => Interlocked.Increment(ref _stalledClosed);
}
