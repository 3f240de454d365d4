using Microsoft.Extensions.Logging;

namespace Meshwork.Governance;

/// <summary>Log messages of governance, with stable event ids (4200-4299).</summary>
internal static partial class GovernanceLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Service {Service}: {Routable} routable of {Known} known instances")]
    public static partial void RouteChanged(ILogger logger, string service, int routable, int known);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Watch of service {Service} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void WatchFailed(ILogger logger, string service, string reason, double delayMs);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Retry budget of service {Service} is exhausted; {Denied} retries refused so far")]
    public static partial void BudgetExhausted(ILogger logger, string service, long denied);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Draining: deregistered {Count} instances, waiting {DelayMs} ms for the change to propagate")]
    public static partial void Deregistered(ILogger logger, int count, double delayMs);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Information, Message = "Registered {Count} instances at {Address}")]
    public static partial void Registered(ILogger logger, int count, string address);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Warning, Message = "Registry {Registry} cannot be reached at start ({Reason}); starting on the disk cache ({Services} services)")]
    public static partial void StartingOnCache(ILogger logger, string registry, int services, string reason);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Information, Message = "Service {Service}: instance {Instance} answered the heartbeat; its circuit breaker is closed again")]
    public static partial void RecoveredByHeartbeat(ILogger logger, string service, string instance);

    [LoggerMessage(EventId = 4207, Level = LogLevel.Information, Message = "Announcement updated: {Count} instances published at {Address}, {Withdrawn} withdrawn")]
    public static partial void AnnouncementUpdated(ILogger logger, int count, string address, int withdrawn);

    [LoggerMessage(EventId = 4220, Level = LogLevel.Information, Message = "Reloaded the client governance settings of {Section}: {Services} service policies in force")]
    public static partial void Reloaded(ILogger logger, string section, int services);

    [LoggerMessage(EventId = 4221, Level = LogLevel.Error, Message = "Rejected the changed configuration ({Problem}); the previous governance settings stay in force")]
    public static partial void ReloadRejected(ILogger logger, string problem);
}
