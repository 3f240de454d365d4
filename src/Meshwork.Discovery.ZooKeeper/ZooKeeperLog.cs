using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>Log messages of ZooKeeper discovery, with stable event ids (4500-4599).</summary>
internal static partial class ZooKeeperLog
{
    [LoggerMessage(EventId = 4700, Level = LogLevel.Information, Message = "ZooKeeper session 0x{Session:x} connected to {Server} (timeout {TimeoutMs} ms, new session: {NewSession})")]
    public static partial void Connected(ILogger logger, long session, string server, long timeoutMs, bool newSession);

    [LoggerMessage(EventId = 4701, Level = LogLevel.Warning, Message = "ZooKeeper connection to {Server} lost: {Reason}; reconnecting ({Suppressed} more losses not logged; at most one line per 30 s)")]
    public static partial void ConnectionLost(ILogger logger, string server, string reason, long suppressed);

    [LoggerMessage(EventId = 4702, Level = LogLevel.Warning, Message = "No ZooKeeper server of {Servers} reachable (last error: {Reason}); retrying with backoff ({Suppressed} more failed rounds not logged; at most one line per 30 s)")]
    public static partial void Unreachable(ILogger logger, string servers, string reason, long suppressed);

    [LoggerMessage(EventId = 4703, Level = LogLevel.Warning, Message = "ZooKeeper session 0x{Session:x} expired; its ephemeral nodes are gone; opening a new session")]
    public static partial void SessionExpired(ILogger logger, long session);

    [LoggerMessage(EventId = 4704, Level = LogLevel.Information, Message = "Registered {Count} instances again in ZooKeeper session 0x{Session:x}")]
    public static partial void Reregistered(ILogger logger, int count, long session);

    [LoggerMessage(EventId = 4705, Level = LogLevel.Warning, Message = "ZooKeeper node {Path} holds an invalid instance record and was skipped: {Reason} ({Total} invalid records seen so far; logged at most once a minute)")]
    public static partial void BadRecord(ILogger logger, string path, string reason, long total);

    [LoggerMessage(EventId = 4706, Level = LogLevel.Warning, Message = "Registering instances again in ZooKeeper failed: {Reason}; retried on the next connection")]
    public static partial void ReregisterFailed(ILogger logger, string reason);
}
