namespace Meshwork.Rpc.Diagnostics;

/// <summary>
/// Protocol errors seen from peers since the server (or channel) was created, counted per
/// <see cref="ProtocolErrorKind"/>. Every error is counted, including those whose log line was suppressed by the
/// rate limit, so a metrics layer can export these numbers as monotonic counters. Thread-safe; reading is lock-free.
/// </summary>
public sealed class ProtocolErrorCounters
{
    private static readonly ProtocolErrorKind[] s_kinds = Enum.GetValues<ProtocolErrorKind>();
    private readonly long[] _counts = new long[s_kinds.Length];

    internal ProtocolErrorCounters()
    {
    }

    /// <summary>Errors of <paramref name="kind"/> counted so far.</summary>
    public long this[ProtocolErrorKind kind] => Volatile.Read(ref _counts[(int)kind]);

    /// <summary>Errors of every kind counted so far.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _counts.Length; i++) total += Volatile.Read(ref _counts[i]);
            return total;
        }
    }

    /// <summary>A copy of every kind's count, for exporting all of them at once.</summary>
    public IReadOnlyDictionary<ProtocolErrorKind, long> Snapshot()
    {
        var copy = new Dictionary<ProtocolErrorKind, long>(s_kinds.Length);
        foreach (var kind in s_kinds) copy[kind] = this[kind];
        return copy;
    }

    internal void Increment(ProtocolErrorKind kind) => Interlocked.Increment(ref _counts[(int)kind]);
}
