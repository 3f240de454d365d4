// The one log rate limiter of Meshwork, compiled into Meshwork.Gossip, Meshwork.Rpc and Meshwork.Security as a linked
// source file (<Compile Include="..\Shared\KeyedLogRateLimiter.cs" Link=... />) rather than shipped in an assembly of
// its own. Why: Gossip references no other Meshwork project (a gossip-only user gets Logging.Abstractions and nothing
// else) and Rpc does not reference Gossip, so no existing project can host it; a new shared assembly would be one more
// package to version and ship for a single internal helper, and would make the helper public API. Linked, it stays
// internal in each assembly. Constraint that keeps this safe: no assembly may see the internals of two assemblies that
// link this file (it would see two Meshwork.Internal.KeyedLogRateLimiter types: CS0436). Today Rpc grants its
// internals to Tars (which does not link it) and each linking project only to its own tests.

namespace Meshwork.Internal;

/// <summary>
/// Decides which occurrences of a repeated event get a log line: the first one per key, then at most one per interval,
/// each logged line learning how many occurrences of its key were suppressed since the previous line. At most
/// <see cref="MaxKeys"/> keys are tracked individually; when the table is full, keys whose interval has passed are
/// dropped (they would log their next occurrence anyway; only the suppressed count of their last interval is lost,
/// and callers count every occurrence elsewhere), and if that frees nothing a new key shares an overflow entry — one for
/// all keys, or one per overflow key when an overflow key function is given — so a flood from ever-changing sources
/// cannot grow memory or the log. Thread-safe; an occurrence that is suppressed allocates nothing.
/// </summary>
/// <typeparam name="TKey">What lines are grouped by, e.g. (source address, kind). Use a value type or an existing
/// object as the key so that building it allocates nothing either.</typeparam>
internal class KeyedLogRateLimiter<TKey> where TKey : notnull
{
    private const long NeverLogged = long.MinValue;

    private readonly Dictionary<TKey, Entry> _entries = [];
    // Overflow entries by overflow key (when an overflow key function is given); bounded by how many distinct overflow
    // keys that function returns, which callers keep to a fixed small set (e.g. one per category).
    private readonly Dictionary<TKey, Entry>? _overflowEntries;
    private readonly Func<TKey, TKey>? _overflowKeyOf;
    private readonly Entry _sharedOverflow = new() { LastLogged = NeverLogged };
    private readonly TimeProvider _time;
    private readonly long _intervalTimestamp; // 0: every occurrence is logged
    private readonly Lock _gate = new();
    // While the table is full, no entry can become stale before this timestamp (the oldest line plus the interval), so
    // a flood of new keys does not rescan the whole table on every occurrence.
    private long _noStaleBefore = long.MinValue;

    /// <summary>Creates a limiter.</summary>
    /// <param name="interval">Minimum time between two lines for the same key; zero logs every occurrence; not negative.</param>
    /// <param name="maxKeys">Keys tracked individually at most (bounds memory); positive.</param>
    /// <param name="timeProvider">Clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="overflowKeyOf">When the table is full, the overflow entry a new key shares (e.g. its category with a
    /// placeholder source); null: all such keys share one entry.</param>
    public KeyedLogRateLimiter(TimeSpan interval, int maxKeys, TimeProvider? timeProvider = null, Func<TKey, TKey>? overflowKeyOf = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxKeys, 0);
        Interval = interval;
        MaxKeys = maxKeys;
        _time = timeProvider ?? TimeProvider.System;
        _overflowKeyOf = overflowKeyOf;
        if (overflowKeyOf is not null) _overflowEntries = [];
        double timestamps = interval.Ticks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond);
        // Saturates instead of wrapping for intervals beyond the clock's range (such a key logs once and then never).
        _intervalTimestamp = interval == TimeSpan.Zero ? 0 : timestamps >= long.MaxValue ? long.MaxValue : Math.Max(1, (long)timestamps);
    }

    /// <summary>Minimum time between two lines for the same key (zero: no limit).</summary>
    public TimeSpan Interval { get; }

    /// <summary>Keys tracked individually at most.</summary>
    public int MaxKeys { get; }

    /// <summary>Keys tracked individually now (at most <see cref="MaxKeys"/>).</summary>
    public int TrackedKeys
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Entries held now: the tracked keys plus the overflow entries in use.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count + (_overflowEntries?.Count ?? (_sharedOverflow.LastLogged == NeverLogged ? 0 : 1));
            }
        }
    }

    /// <summary>Records one occurrence for <paramref name="key"/>; true when a line should be written now.</summary>
    /// <param name="key">What the line is about.</param>
    /// <param name="suppressed">When true is returned: occurrences not logged since the previous line for this entry.</param>
    public bool TryAcquire(TKey key, out long suppressed) => TryAcquire(key, out suppressed, out _);

    /// <summary>
    /// Records one occurrence for <paramref name="key"/>. Returns true when a line should be written now;
    /// <paramref name="suppressed"/> is then the number of occurrences not logged since the previous line for this key
    /// (or for the overflow entry it shares, when <paramref name="overflow"/> is true: the line should then not name
    /// the key's source, as it stands for many).
    /// </summary>
    public bool TryAcquire(TKey key, out long suppressed, out bool overflow)
    {
        suppressed = 0;
        overflow = false;
        if (_intervalTimestamp == 0) return true;
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxKeys && now >= _noStaleBefore) PruneLocked(now);
                if (_entries.Count < MaxKeys)
                {
                    _entries[key] = new Entry { LastLogged = now };
                    return true;
                }
                overflow = true;
                entry = OverflowEntryLocked(key);
            }
            if (entry.LastLogged != NeverLogged && now - entry.LastLogged < _intervalTimestamp)
            {
                entry.Suppressed++;
                return false;
            }
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LastLogged = now;
            return true;
        }
    }

    private Entry OverflowEntryLocked(TKey key)
    {
        if (_overflowEntries is null) return _sharedOverflow;
        var overflowKey = _overflowKeyOf!(key);
        if (!_overflowEntries.TryGetValue(overflowKey, out var entry))
        {
            entry = new Entry { LastLogged = NeverLogged };
            _overflowEntries[overflowKey] = entry;
        }
        return entry;
    }

    private void PruneLocked(long now)
    {
        long oldest = long.MaxValue;
        // Removing while enumerating is allowed for Dictionary (since .NET Core 3.0), so pruning allocates nothing.
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.LastLogged >= _intervalTimestamp) _entries.Remove(key);
            else if (entry.LastLogged < oldest) oldest = entry.LastLogged;
        }
        // Overflow entries are not pruned: there are few of them, and their next line must carry what they suppressed.
        // Lines only move forward in time, so no remaining entry can become stale before the oldest one does.
        _noStaleBefore = _entries.Count < MaxKeys || oldest == long.MaxValue ? long.MinValue
            : oldest > long.MaxValue - _intervalTimestamp ? long.MaxValue : oldest + _intervalTimestamp;
    }

    private sealed class Entry
    {
        public long LastLogged;
        public long Suppressed;
    }
}

/// <summary>
/// A <see cref="KeyedLogRateLimiter{TKey}"/> keyed by (source, category) — the source usually a peer address without
/// its port — where sources arriving while the table is full share one overflow entry per category.
/// </summary>
internal class SourceLogRateLimiter(TimeSpan interval, string overflowSource, TimeProvider? timeProvider = null)
    : KeyedLogRateLimiter<(string Source, int Category)>(interval, MaxSources, timeProvider, key => (overflowSource, key.Category))
{
    /// <summary>Sources remembered at most, besides one overflow entry per category (each entry is a few dozen bytes).</summary>
    public const int MaxSources = 4096;

    /// <summary>
    /// True when this occurrence should be logged; <paramref name="suppressed"/> is then the number of occurrences of
    /// the same source and category (or of the overflow entry of the category) not logged since the previous line.
    /// </summary>
    public bool ShouldLog(string source, int category, out long suppressed) => TryAcquire((source, category), out suppressed);
}
