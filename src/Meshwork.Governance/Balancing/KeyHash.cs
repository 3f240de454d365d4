namespace Meshwork.Governance.Balancing;

/// <summary>
/// The 64-bit hash for hash-based balancers: FNV-1a over the UTF-16 code units followed by the SplitMix64
/// finalizer. FNV alone spreads short similar keys poorly across the high bits a ring uses; the finalizer fixes
/// that. Stable across processes and runtimes (string.GetHashCode is randomized per process), allocation-free.
/// </summary>
public static class KeyHash
{
    /// <summary>Hashes <paramref name="key"/>.</summary>
    public static ulong Hash(ReadOnlySpan<char> key)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in key)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return Mix(h);
    }

    /// <summary>SplitMix64's finalizer: every input bit affects every output bit.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
