using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Dns;

/// <summary>Log messages of DNS discovery, with stable event ids (4500-4599).</summary>
internal static partial class DnsLog
{
    [LoggerMessage(EventId = 4500, Level = LogLevel.Warning, Message = "DNS server {Server} sent a malformed response ({Reason}); {Count} malformed responses so far")]
    public static partial void Malformed(ILogger logger, string server, string reason, long count);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Debug, Message = "DNS response for {Name} from {Server} was truncated; asking again over TCP")]
    public static partial void Truncated(ILogger logger, string name, string server);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Debug, Message = "SRV target {Target} of {Name} has no address records and was skipped")]
    public static partial void TargetWithoutAddress(ILogger logger, string target, string name);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "DNS instance set of {Service} changed: {Count} instances (next check in {Refresh})")]
    public static partial void SetChanged(ILogger logger, string service, int count, TimeSpan refresh);
}
