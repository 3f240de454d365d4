namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// The gossip layer's rule for log rate-limit intervals: positive (gossip always limits, unlike the RPC and security
/// options where zero logs every occurrence) and at most one day, beyond which a problem would stay invisible for too
/// long to be useful.
/// </summary>
internal static class GossipLogInterval
{
    /// <summary>Longest interval accepted.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(1);

    /// <summary>Returns <paramref name="interval"/>, or throws <see cref="ArgumentOutOfRangeException"/> when it breaks the rule.</summary>
    public static TimeSpan Checked(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, Max);
        return interval;
    }
}
