namespace Meshwork.Security.Internal;

/// <summary>
/// Decides which refusals get a log line: the first per (caller address, reason), then at most one per interval with
/// the number suppressed in between. The table is bounded: when full, entries whose interval has passed are dropped,
/// and if that frees nothing, new addresses share one overflow entry, so a flood from many addresses cannot grow
/// memory or the log.
/// </summary>
internal sealed class FailureLogLimiter(TimeSpan interval, TimeProvider time)
{
    /// <summary>Addresses remembered at most, besides one shared overflow entry per reason.</summary>
    public const int MaxEntries = 4096;
    public const string OverflowSource = "(other addresses)";

    private readonly Dictionary<(string Source, int Reason), Entry> _entries = new();
    private readonly long _intervalTicks = interval.Ticks;

    private sealed class Entry
    {
        public long LastLogged;
        public long Suppressed;
    }

    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }

    public bool ShouldLog(string source, int reason, out long suppressed)
    {
        suppressed = 0;
        if (_intervalTicks <= 0) return true;
        long now = time.GetTimestamp();
        long intervalTimestamp = (long)(_intervalTicks * (time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        lock (_entries)
        {
            var key = (source, reason);
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxEntries)
                {
                    Prune(now, intervalTimestamp);
                    if (_entries.Count >= MaxEntries)
                    {
                        key = (OverflowSource, reason);
                        _entries.TryGetValue(key, out entry);
                    }
                }
                if (entry is null)
                {
                    _entries[key] = new Entry { LastLogged = now };
                    return true;
                }
            }
            if (now - entry.LastLogged >= intervalTimestamp)
            {
                suppressed = entry.Suppressed;
                entry.Suppressed = 0;
                entry.LastLogged = now;
                return true;
            }
            entry.Suppressed++;
            return false;
        }
    }

    private void Prune(long now, long intervalTimestamp)
    {
        List<(string, int)>? stale = null;
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.LastLogged >= intervalTimestamp) (stale ??= new()).Add(key);
        }
        if (stale is null) return;
        foreach (var key in stale) _entries.Remove(key);
    }

    /// <summary>The caller's address without the port (<c>10.0.0.7:51234</c> → <c>10.0.0.7</c>, <c>[::1]:5</c> → <c>::1</c>).</summary>
    public static string SourceOf(string peer)
    {
        if (peer.StartsWith('['))
        {
            int close = peer.IndexOf(']', StringComparison.Ordinal);
            return close > 1 ? peer[1..close] : peer;
        }
        int colon = peer.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon == peer.LastIndexOf(':') ? peer[..colon] : peer;
    }
}
