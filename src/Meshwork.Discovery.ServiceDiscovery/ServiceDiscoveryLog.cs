using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>Log messages of the Microsoft.Extensions.ServiceDiscovery adapter, with stable event ids (4600-4699).</summary>
internal static partial class ServiceDiscoveryLog
{
    [LoggerMessage(EventId = 4600, Level = LogLevel.Warning, Message = "Watch of {Service} on registry {Registry} failed ({Reason}); keeping {Count} known instances and reconnecting in {Delay}")]
    public static partial void WatchFailed(ILogger logger, string service, string registry, int count, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 4601, Level = LogLevel.Debug, Message = "Instance {Instance} of {Service} has an address HttpClient cannot call ({Address}) and was skipped")]
    public static partial void AddressSkipped(ILogger logger, string instance, string service, string address);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Debug, Message = "Instances of {Service} changed on registry {Registry}: {Count} instances; firing the change token")]
    public static partial void Changed(ILogger logger, string service, string registry, int count);
}
