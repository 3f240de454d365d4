using System.Net;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip;

/// <summary>Log messages of the member list, with stable event ids (1000-1099).</summary>
internal static partial class GossipLog
{
    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Suspect {Node} has failed, no acks received")]
    public static partial void ProbeFailed(ILogger logger, string node);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Marking {Node} as failed, suspect timeout reached ({Confirmations} peer confirmations)")]
    public static partial void SuspectTimeout(ILogger logger, string node, int confirmations);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Refuting a {Kind} message about ourselves (incarnation {Incarnation})")]
    public static partial void Refuting(ILogger logger, string kind, uint incarnation);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Conflicting address for {Node}: mine {Existing}, theirs {Other}")]
    public static partial void NameConflict(ILogger logger, string node, IPEndPoint existing, IPEndPoint other);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Member {Node} joined ({Address})")]
    public static partial void MemberJoined(ILogger logger, string node, IPEndPoint address);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Member {Node} is now {State}")]
    public static partial void MemberDown(ILogger logger, string node, NodeStatus state);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Push/pull with {Peer} failed")]
    public static partial void PushPullFailed(ILogger logger, IPEndPoint peer, Exception error);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Stream from {Peer} failed")]
    public static partial void StreamFailed(ILogger logger, IPEndPoint? peer, Exception error);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Merge of remote state refused: {Reason}")]
    public static partial void MergeRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Join through {Peer} failed")]
    public static partial void JoinFailed(ILogger logger, IPEndPoint peer, Exception error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Was able to connect to {Node} but other probes failed, network may be misconfigured")]
    public static partial void TcpOnly(ILogger logger, string node);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Dropped malformed input ({Kind}) from {Source}: {Detail}; {Suppressed} more suppressed since the previous line (at most one line per source and kind every {Interval})")]
    public static partial void MalformedInput(ILogger logger, string kind, string source, string detail, long suppressed, TimeSpan interval);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Debug, Message = "Stream from {Peer} ended early: {Reason}")]
    public static partial void StreamEnded(ILogger logger, IPEndPoint? peer, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "Unexpected error in {Operation}")]
    public static partial void Unexpected(ILogger logger, string operation, Exception error);
}
