using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// Every log line of the RPC core, with stable event ids (1000–1999) so that alerts and dashboards can key on them.
/// </summary>
internal static partial class RpcLog
{
    [LoggerMessage(1001, LogLevel.Warning, "Protocol error {Kind} from {Peer}: {Reason} ({Suppressed} more of this kind from {Source} not logged since the previous line)")]
    public static partial void ProtocolError(ILogger logger, Meshwork.Rpc.Diagnostics.ProtocolErrorKind kind, string peer, string reason, string source, long suppressed);

    [LoggerMessage(1002, LogLevel.Error, "Connection with {Peer} failed unexpectedly")]
    public static partial void ConnectionFault(ILogger logger, string peer, Exception exception);

    [LoggerMessage(1003, LogLevel.Information, "Listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(1004, LogLevel.Debug, "Accepted connection from {Peer}")]
    public static partial void Accepted(ILogger logger, string peer);

    [LoggerMessage(1005, LogLevel.Warning, "Rejected connection from {Peer}: {Reason} ({Suppressed} more rejections not logged since the previous line)")]
    public static partial void Rejected(ILogger logger, string peer, string reason, long suppressed);

    [LoggerMessage(1006, LogLevel.Error, "Handler {Service}/{Method} threw; answering Internal")]
    public static partial void HandlerFailed(ILogger logger, string service, string method, Exception exception);

    [LoggerMessage(1007, LogLevel.Information, "Shutting down: sent go-away to {Connections} connections, draining {Calls} in-flight calls for up to {DrainMs} ms")]
    public static partial void Draining(ILogger logger, int connections, int calls, double drainMs);

    [LoggerMessage(1008, LogLevel.Warning, "Drain time elapsed with {Calls} calls still running; cancelling them")]
    public static partial void DrainTimedOut(ILogger logger, int calls);

    [LoggerMessage(1009, LogLevel.Information, "Connected to {Peer}")]
    public static partial void Connected(ILogger logger, string peer);

    [LoggerMessage(1010, LogLevel.Warning, "Connect to {Peer} failed (attempt {Attempt}); next attempt in {DelayMs} ms: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string peer, int attempt, double delayMs, string reason);

    [LoggerMessage(1011, LogLevel.Information, "Server {Peer} sent go-away; new calls will use another connection")]
    public static partial void GoAwayReceived(ILogger logger, string peer);

    [LoggerMessage(1012, LogLevel.Warning, "No heartbeat answer from {Peer} within {TimeoutMs} ms; closing the connection")]
    public static partial void HeartbeatTimeout(ILogger logger, string peer, double timeoutMs);

    [LoggerMessage(1013, LogLevel.Warning, "Peer {Peer} reported a protocol error: {Status} {Reason}")]
    public static partial void PeerReportedError(ILogger logger, string peer, StatusCode status, string? reason);

    [LoggerMessage(1014, LogLevel.Debug, "Closing idle connection with {Peer}")]
    public static partial void IdleClose(ILogger logger, string peer);

    [LoggerMessage(1016, LogLevel.Warning, "Closed connection with {Peer}: it read nothing of the {QueuedBytes} bytes queued for it within {TimeoutMs} ms (WriteStallTimeout); {ClosedTotal} stalled connections closed so far ({Suppressed} more from this source not logged since the previous line)")]
    public static partial void WriteStalled(ILogger logger, string peer, long queuedBytes, double timeoutMs, long closedTotal, long suppressed);

    [LoggerMessage(1015, LogLevel.Warning, "Rejected call {Service}/{Method} from {Peer}: {Status} {Reason} ({Suppressed} more {Status} rejections for this source not logged since the previous line)")]
    public static partial void CallRejected(ILogger logger, string service, string method, string peer, StatusCode status, string reason, long suppressed);

    // Debug: at most one per connection per 100 ms (a takeover sends the connection's work to the queue for that long).
    [LoggerMessage(1017, LogLevel.Debug, "The read loop of the connection with {Peer} stayed inside one handler or continuation for a sweep interval; a new loop goes on with the frames behind it, and the connection queues its work for a while")]
    public static partial void ReadLoopTakenOver(ILogger logger, string peer);
}
