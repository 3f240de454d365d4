using Microsoft.Extensions.Logging;

namespace Meshwork.Hosting.Internal;

/// <summary>Hosting log messages. Event ids 3000–3099 belong to Meshwork.Hosting and never change meaning.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Meshwork server starting with {ServiceCount} service(s): {Services}")]
    public static partial void ServerStarting(ILogger logger, int serviceCount, string services);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Meshwork server listening on {Endpoint}")]
    public static partial void ServerListening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Meshwork server stopping: {Connections} connection(s), {ActiveCalls} call(s) in flight, drain timeout {DrainTimeoutMs} ms")]
    public static partial void ServerStopping(ILogger logger, int connections, int activeCalls, double drainTimeoutMs);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Meshwork server stopped after {ElapsedMs} ms")]
    public static partial void ServerStopped(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Meshwork server drain cut short by the host's shutdown timeout after {ElapsedMs} ms; remaining calls were cancelled")]
    public static partial void ServerDrainCutShort(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Meshwork server failed to start")]
    public static partial void ServerStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Reloaded the server settings of {Section}: {Changes}")]
    public static partial void ServerReloaded(ILogger logger, string section, string changes);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Error, Message = "Rejected the changed server configuration ({Problem}); the previous server limits, security, credentials and announcement stay in force")]
    public static partial void ServerReloadRejected(ILogger logger, string problem);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "Changed configuration keys that are read at start only: {Keys}; restart the process to apply them (the running values stay in force)")]
    public static partial void RestartNeeded(ILogger logger, string keys);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Warning, Message = "The changed announcement could not be published ({Reason}); the registry keeps the previous one meanwhile. Attempt {Attempt}, next in {RetryInMs} ms ({NotLogged} more failures not logged since the previous line)")]
    public static partial void AnnouncementNotPublished(ILogger logger, string reason, int attempt, long retryInMs, long notLogged);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Information, Message = "The changed announcement was published at attempt {Attempt}")]
    public static partial void AnnouncementPublishedAfterRetries(ILogger logger, int attempt);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Error, Message = "The changed announcement was refused ({Reason}) and is not retried; the registry keeps the previous one until the next change or restart")]
    public static partial void AnnouncementRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Meshwork client for service {Service} created for {Address}")]
    public static partial void ClientCreated(ILogger logger, string service, string address);
}
