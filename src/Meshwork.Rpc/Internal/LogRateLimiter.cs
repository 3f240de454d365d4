namespace Meshwork.Rpc.Internal;

/// <summary>
/// Decides which occurrences of a repeated event get a log line: the first one per (source, category), then at most
/// one per interval, reporting how many were suppressed in between. The table of sources is bounded; when it is full,
/// stale entries are dropped, and if that frees nothing, new sources share one overflow entry, so a flood from many
/// addresses cannot grow memory or the log.
/// </summary>
internal sealed class LogRateLimiter
{
    /// <summary>Sources remembered at most (each entry is a few dozen bytes).</summary>
    public const int MaxEntries = 4096;

    /// <summary>The shared entry for sources that arrive while the table is full.</summary>
    public const string OverflowSource = "(other sources)";

    private readonly Dictionary<(string Source, int Category), Entry> _entries = new();
    private readonly long _intervalMicros;

    private sealed class Entry
    {
        public long LastLoggedMicros;
        public long Suppressed;
    }

    public LogRateLimiter(TimeSpan interval) => _intervalMicros = (long)interval.TotalMicroseconds;

    /// <summary>
    /// True when this occurrence should be logged; <paramref name="suppressed"/> is then the number of occurrences of
    /// the same source and category that were not logged since the previous line.
    /// </summary>
    public bool ShouldLog(string source, int category, out long suppressed)
    {
        suppressed = 0;
        if (_intervalMicros <= 0) return true;
        long now = Clock.NowMicros;
        lock (_entries)
        {
            var key = (source, category);
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxEntries)
                {
                    PruneLocked(now);
                    if (_entries.Count >= MaxEntries)
                    {
                        key = (OverflowSource, category);
                        _entries.TryGetValue(key, out entry);
                    }
                }
                if (entry is null)
                {
                    _entries[key] = new Entry { LastLoggedMicros = now };
                    return true;
                }
            }
            if (now - entry.LastLoggedMicros >= _intervalMicros)
            {
                suppressed = entry.Suppressed;
                entry.Suppressed = 0;
                entry.LastLoggedMicros = now;
                return true;
            }
            entry.Suppressed++;
            return false;
        }
    }

    /// <summary>Number of (source, category) entries remembered, for tests of the bound.</summary>
    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }

    private void PruneLocked(long now)
    {
        List<(string, int)>? stale = null;
        foreach (var (key, entry) in _entries)
        {
            // An entry whose interval has passed would log its next occurrence anyway; forgetting it loses only the
            // suppressed count of its last interval, which the counters still hold.
            if (now - entry.LastLoggedMicros >= _intervalMicros) (stale ??= new()).Add(key);
        }
        if (stale is null) return;
        foreach (var key in stale) _entries.Remove(key);
    }
}
