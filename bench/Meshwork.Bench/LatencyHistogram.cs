namespace Meshwork.Bench;

/// <summary>
/// Log-linear latency histogram over nanoseconds: 64 linear sub-buckets per power of two, so any recorded value is
/// reported within ~1.6 %. Fixed size, allocation-free recording, one per worker (merged at the end).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 6;
    private const int Sub = 1 << SubBits;
    private readonly long[] _counts = new long[64 * Sub];

    public long Count { get; private set; }

    public void Record(long nanos)
    {
        if (nanos < 1) nanos = 1;
        _counts[Index(nanos)]++;
        Count++;
    }

    private static int Index(long v)
    {
        int log = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v);
        if (log < SubBits) return (int)v;
        int shift = log - SubBits;
        int sub = (int)(v >> shift) & (Sub - 1);
        return (log - SubBits + 1) * Sub + sub;
    }

    private static long ValueAt(int index)
    {
        int major = index / Sub;
        int sub = index % Sub;
        if (major == 0) return sub;
        int shift = major - 1;
        return ((long)(Sub + sub) << shift) + (1L << shift) / 2;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
    }

    /// <summary>Value at quantile q (0..1) in nanoseconds.</summary>
    public long Quantile(double q)
    {
        if (Count == 0) return 0;
        long target = (long)Math.Ceiling(q * Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target) return ValueAt(i);
        }
        return ValueAt(_counts.Length - 1);
    }
}
