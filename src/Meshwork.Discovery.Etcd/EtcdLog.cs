using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Etcd;

/// <summary>Log messages of etcd discovery, with stable event ids (4300-4399).</summary>
internal static partial class EtcdLog
{
    [LoggerMessage(EventId = 4300, Level = LogLevel.Warning, Message = "etcd lease {Lease} was lost ({Reason}); registering {Count} instances under a new lease")]
    public static partial void LeaseLost(ILogger logger, long lease, string reason, int count);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "etcd watch of {Prefix} was compacted at revision {Revision}; re-reading the prefix")]
    public static partial void Compacted(ILogger logger, string prefix, long revision);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "etcd key {Key} holds an invalid instance record and was skipped: {Reason}")]
    public static partial void BadRecord(ILogger logger, string key, string reason);
}
