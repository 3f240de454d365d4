using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Gossip;

/// <summary>Log messages of gossip discovery, with stable event ids (4100-4199).</summary>
internal static partial class GossipDiscoveryLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "Node {Node} announces a malformed service tag '{Value}'; ignoring the node ({Count} malformed tags so far)")]
    public static partial void MalformedTag(ILogger logger, string node, string value, long count);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Directory fetch from node {Node} at {Address} failed: {Reason}")]
    public static partial void FetchFailed(ILogger logger, string node, string address, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Announcing {Count} instances (fingerprint {Fingerprint})")]
    public static partial void Announcing(ILogger logger, int count, string fingerprint);
}
