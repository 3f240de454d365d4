namespace Meshwork.Security.Diagnostics;

/// <summary>
/// Calls refused by <see cref="SecurityMiddleware"/> since it was created, per <see cref="SecurityFailure"/>, and the
/// calls it let through. Every refusal is counted, also those whose log line was suppressed by the rate limit, so a
/// metrics layer can export these numbers as monotonic counters. Thread-safe; reading is lock-free.
/// </summary>
public sealed class SecurityCounters
{
    private static readonly SecurityFailure[] s_reasons = Enum.GetValues<SecurityFailure>();
    private readonly long[] _counts = new long[s_reasons.Length];
    private long _authenticated;
    private long _anonymous;

    internal SecurityCounters()
    {
    }

    /// <summary>Refusals for <paramref name="reason"/> counted so far.</summary>
    public long this[SecurityFailure reason] => Volatile.Read(ref _counts[(int)reason]);

    /// <summary>Refusals of every reason counted so far.</summary>
    public long TotalFailures
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _counts.Length; i++) total += Volatile.Read(ref _counts[i]);
            return total;
        }
    }

    /// <summary>Calls let through with an authenticated caller.</summary>
    public long Authenticated => Volatile.Read(ref _authenticated);

    /// <summary>Calls let through without credentials, to methods whose policy allows anonymous callers.</summary>
    public long Anonymous => Volatile.Read(ref _anonymous);

    /// <summary>A copy of every reason's count, for exporting all of them at once.</summary>
    public IReadOnlyDictionary<SecurityFailure, long> Snapshot()
    {
        var copy = new Dictionary<SecurityFailure, long>(s_reasons.Length);
        foreach (var reason in s_reasons) copy[reason] = this[reason];
        return copy;
    }

    internal void Increment(SecurityFailure reason) => Interlocked.Increment(ref _counts[(int)reason]);

    internal void CountAllowed(bool authenticated)
    {
        if (authenticated) Interlocked.Increment(ref _authenticated);
        else Interlocked.Increment(ref _anonymous);
    }
}
