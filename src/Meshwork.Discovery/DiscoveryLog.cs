using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery;

/// <summary>Log messages of the discovery core, with stable event ids (4000-4099).</summary>
internal static partial class DiscoveryLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Discovery cache file {Path} is unreadable and was ignored: {Reason}")]
    public static partial void CacheCorrupt(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Discovery cache file {Path} could not be written: {Reason}")]
    public static partial void CacheWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Registry {Registry} is unavailable ({Reason}); serving {Service} from the cache ({Count} instances)")]
    public static partial void ServingFromCache(ILogger logger, string registry, string service, int count, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Registry {Registry} is reachable again for {Service}")]
    public static partial void RegistryRecovered(ILogger logger, string registry, string service);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Loaded {Services} services from the discovery cache {Path}")]
    public static partial void CacheLoaded(ILogger logger, int services, string path);
}
