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
    private long _stalledClosed;

    internal BufferBudget(long capacity) => Capacity = capacity;

    /// <summary>Bytes the budget allows before connections holding memory stop being read (<see cref="long.MaxValue"/>: no shared limit).</summary>
    public long Capacity { get; }

    /// <summary>Bytes held right now.</summary>
    public long BufferedBytes => Volatile.Read(ref _used);

    /// <summary>Most bytes held at once since the start or the last <see cref="ResetPeak"/>.</summary>
    public long PeakBufferedBytes => Volatile.Read(ref _peak);

    /// <summary>Times a connection stopped reading because its own limit or this budget was reached (back-pressure).</summary>
    public long ReadPauses => Volatile.Read(ref _readPauses);

    /// <summary>Connections closed because their peer read nothing of what was queued for it within the write-stall timeout.</summary>
    public long StalledConnectionsClosed => Volatile.Read(ref _stalledClosed);

    /// <summary>Starts a new peak measurement from the current level.</summary>
    public void ResetPeak() => Volatile.Write(ref _peak, BufferedBytes);

    internal bool IsExhausted => Volatile.Read(ref _used) >= Capacity;

    internal void Add(long delta)
    {
        long now = Interlocked.Add(ref _used, delta);
        if (delta <= 0) return;
        long peak = Volatile.Read(ref _peak);
        while (now > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peak, now, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }

    internal void CountReadPause() => Interlocked.Increment(ref _readPauses);

    internal void CountStalledClose() => Interlocked.Increment(ref _stalledClosed);
}
