using Meshwork.Internal;

namespace Meshwork.Security.Internal;

/// <summary>
/// Decides which refusals get a log line: the first per (caller address, reason), then at most one per interval with
/// the number suppressed in between; the table is bounded, and addresses arriving while it is full share one overflow
/// entry per reason (see <see cref="KeyedLogRateLimiter{TKey}"/>, the one implementation shared with RPC and gossip).
/// </summary>
internal sealed class FailureLogLimiter(TimeSpan interval, TimeProvider time) : SourceLogRateLimiter(interval, OverflowSource, time)
{
    /// <summary>Addresses remembered at most, besides one shared overflow entry per reason.</summary>
    public const int MaxEntries = MaxSources;

    /// <summary>The placeholder address of the overflow entries.</summary>
    public const string OverflowSource = "(other addresses)";

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
