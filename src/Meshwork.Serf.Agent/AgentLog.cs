using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent;

/// <summary>
/// The agent's log events (ids 6000–6099). Texts follow serf's agent log lines where operators grep for them
/// ("Received event: member-join: alpha", "joined: 2 nodes").
/// </summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Serf agent starting")]
    public static partial void Starting(ILogger logger);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Received event: {Description}")]
    public static partial void ReceivedEvent(ILogger logger, string description);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Dropping event {Description} for {Subscriber}: its queue is full")]
    public static partial void EventDropped(ILogger logger, string description, string subscriber);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "joining: {Addresses} replay: {Replay}")]
    public static partial void Joining(ILogger logger, string addresses, bool replay);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "joined: {Count} nodes")]
    public static partial void Joined(ILogger logger, int count);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "error joining: {Error}")]
    public static partial void JoinFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Force leaving node: {Node}")]
    public static partial void ForceLeaving(ILogger logger, string node);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "Accepted client: {Remote}")]
    public static partial void IpcAccepted(ILogger logger, string remote);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "client {Remote} sent a malformed request and was disconnected: {Reason}")]
    public static partial void IpcMalformed(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning, Message = "Client {Remote} sending commands before auth")]
    public static partial void IpcBeforeAuth(ILogger logger, string remote);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "refused client {Remote}: {Limit} clients are connected already")]
    public static partial void IpcTooManyClients(ILogger logger, string remote, int limit);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Graceful leave triggered")]
    public static partial void LeaveTriggered(ILogger logger);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Script '{Script}' slow, execution exceeding {Limit}")]
    public static partial void HandlerSlow(ILogger logger, string script, TimeSpan limit);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Error, Message = "Script '{Script}' for event {Event} failed: {Error}")]
    public static partial void HandlerFailed(ILogger logger, string script, string @event, string error);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Error, Message = "Script '{Script}' for event {Event} killed after its {Timeout} timeout")]
    public static partial void HandlerTimedOut(ILogger logger, string script, string @event, TimeSpan timeout);

    [LoggerMessage(EventId = 6023, Level = LogLevel.Warning, Message = "Script '{Script}' generated {Bytes} bytes of output, truncated to {Limit}")]
    public static partial void HandlerOutputTruncated(ILogger logger, string script, long bytes, int limit);

    [LoggerMessage(EventId = 6024, Level = LogLevel.Warning, Message = "Failed to respond to query '{Query}': {Error}")]
    public static partial void HandlerRespondFailed(ILogger logger, string query, string error);

    [LoggerMessage(EventId = 6025, Level = LogLevel.Debug, Message = "Event '{Event}' script output: {Output}")]
    public static partial void HandlerOutput(ILogger logger, string @event, string output);

    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Restored {Count} tag(s) from {Path}")]
    public static partial void TagsRestored(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Warning, Message = "retry join attempt {Attempt} failed: {Error}; next in {Delay}")]
    public static partial void RetryJoinFailed(ILogger logger, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Error, Message = "retry join gave up after {Attempts} attempts")]
    public static partial void RetryJoinGaveUp(ILogger logger, int attempts);
}
