using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>Log messages of the TARS layer; event ids 13001-13099 are stable.</summary>
internal static partial class TarsLog
{
    [LoggerMessage(EventId = 13001, Level = LogLevel.Information, Message = "TARS server listening on {Endpoint} for {Objects}")]
    public static partial void Listening(ILogger logger, string endpoint, string objects);

    [LoggerMessage(EventId = 13002, Level = LogLevel.Warning, Message = "Malformed TARS input from {Peer}: {Reason} ({Suppressed} similar suppressed); closing the connection")]
    public static partial void MalformedInput(ILogger logger, string peer, string reason, long suppressed);

    [LoggerMessage(EventId = 13003, Level = LogLevel.Warning, Message = "TARS connection from {Peer} refused: {Open} connections open (MaxConnections)")]
    public static partial void ConnectionRefused(ILogger logger, string peer, int open);

    [LoggerMessage(EventId = 13004, Level = LogLevel.Warning, Message = "TARS call {Object}.{Function} from {Peer} refused: server overloaded ({Reason}) ({Suppressed} similar suppressed)")]
    public static partial void Overloaded(ILogger logger, string @object, string function, string peer, string reason, long suppressed);

    [LoggerMessage(EventId = 13005, Level = LogLevel.Error, Message = "TARS handler {Object}.{Function} failed: {Error}")]
    public static partial void HandlerFailed(ILogger logger, string @object, string function, string error);

    [LoggerMessage(EventId = 13006, Level = LogLevel.Debug, Message = "TARS connection from {Peer} closed after {IdleMs} ms idle")]
    public static partial void IdleClosed(ILogger logger, string peer, long idleMs);

    [LoggerMessage(EventId = 13007, Level = LogLevel.Information, Message = "TARS server on {Endpoint} stopping: {InFlight} calls in flight")]
    public static partial void Stopping(ILogger logger, string endpoint, int inFlight);

    [LoggerMessage(EventId = 13010, Level = LogLevel.Warning, Message = "TARS connection to {Endpoint} failed: {Error}; next attempt in {BackoffMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, string error, long backoffMs);

    [LoggerMessage(EventId = 13011, Level = LogLevel.Warning, Message = "Malformed TARS reply from {Endpoint}: {Reason} ({Suppressed} similar suppressed); closing the connection")]
    public static partial void MalformedReply(ILogger logger, string endpoint, string reason, long suppressed);

    [LoggerMessage(EventId = 13012, Level = LogLevel.Debug, Message = "TARS reply from {Endpoint} for unknown request id {RequestId} ignored (late reply after a timeout)")]
    public static partial void UnknownReply(ILogger logger, string endpoint, int requestId);

    [LoggerMessage(EventId = 13013, Level = LogLevel.Information, Message = "TARS server {Endpoint} asked to reconnect (push '{Text}')")]
    public static partial void ReconnectPush(ILogger logger, string endpoint, string text);

    [LoggerMessage(EventId = 13020, Level = LogLevel.Warning, Message = "TARS registry lookup of {Object} failed: {Error}")]
    public static partial void RegistryLookupFailed(ILogger logger, string @object, string error);
}
