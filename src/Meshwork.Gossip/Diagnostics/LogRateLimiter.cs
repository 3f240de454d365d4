namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// Decides whether a log line for a key may be written now: at most one line per key per <see cref="Interval"/>, and
/// each allowed line learns how many lines for that key were suppressed since the previous one. Memory is bounded:
/// at most <see cref="MaxKeys"/> keys are tracked; once that many keys are live, new keys share one overflow entry
/// (so a flood from ever-changing spoofed sources still yields one line per interval). Thread-safe.
/// </summary>
/// <typeparam name="TKey">What lines are grouped by, e.g. (source address, kind).</typeparam>
public sealed class LogRateLimiter<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly Entry _overflow = new() { LastLine = long.MinValue };
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Lock _gate = new();

    /// <summary>Creates a limiter.</summary>
    /// <param name="interval">Minimum time between two lines for the same key; positive and at most <see cref="MaxInterval"/>.</param>
    /// <param name="maxKeys">Keys tracked at most (bounds memory); must be positive.</param>
    /// <param name="timeProvider">Clock; default <see cref="TimeProvider.System"/>.</param>
    public LogRateLimiter(TimeSpan interval, int maxKeys = 1024, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, MaxInterval);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxKeys, 0);
        Interval = interval;
        MaxKeys = maxKeys;
        _time = timeProvider ?? TimeProvider.System;
        _intervalTicks = (long)(interval.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>Minimum time between two lines for the same key.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Longest interval accepted (one day): beyond it a problem would stay invisible for too long to be useful.</summary>
    public static TimeSpan MaxInterval { get; } = TimeSpan.FromDays(1);

    /// <summary>Maximum number of keys tracked individually.</summary>
    public int MaxKeys { get; }

    /// <summary>
    /// Records one occurrence for <paramref name="key"/>. Returns true when a line should be written now;
    /// <paramref name="suppressed"/> is then the number of occurrences not logged since the previous line for this key
    /// (or for the shared overflow entry, when <paramref name="overflow"/> is true).
    /// </summary>
    public bool TryAcquire(TKey key, out long suppressed, out bool overflow)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            overflow = false;
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxKeys) { PruneIdle(now); }
                if (_entries.Count >= MaxKeys)
                {
                    overflow = true;
                    entry = _overflow;
                }
                else
                {
                    entry = new Entry { LastLine = long.MinValue };
                    _entries[key] = entry;
                }
            }
            if (entry.LastLine != long.MinValue && now - entry.LastLine < _intervalTicks)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LastLine = now;
            return true;
        }
    }

    /// <summary>Number of keys currently tracked (for tests and diagnostics).</summary>
    public int TrackedKeys { get { lock (_gate) { return _entries.Count; } } }

    // Keys whose interval has passed carry no state worth keeping except a suppressed count, which is dropped with
    // them; a key that is still flooding comes back at once and is logged right away.
    private void PruneIdle(long now)
    {
        List<TKey>? idle = null;
        foreach (var (k, e) in _entries)
        {
            if (now - e.LastLine >= _intervalTicks) { (idle ??= []).Add(k); }
        }
        if (idle is null) { return; }
        foreach (var k in idle) { _entries.Remove(k); }
    }

    private sealed class Entry
    {
        public long LastLine;
        public long Suppressed;
    }
}
