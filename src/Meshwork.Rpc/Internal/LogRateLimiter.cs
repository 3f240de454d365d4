using Meshwork.Internal;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// Decides which occurrences of a repeated event get a log line: the first one per (source, category), then at most
/// one per interval, reporting how many were suppressed in between; the table of sources is bounded (see
/// <see cref="KeyedLogRateLimiter{TKey}"/>, the one implementation shared with gossip and security). RPC's name for it,
/// used by the server, the client and TARS.
/// </summary>
internal sealed class LogRateLimiter(TimeSpan interval) : SourceLogRateLimiter(interval, OverflowSource)
{
    /// <summary>Sources remembered at most.</summary>
    public const int MaxEntries = MaxSources;

    /// <summary>The placeholder source of the shared entry for sources that arrive while the table is full.</summary>
    public const string OverflowSource = "(other sources)";
}
