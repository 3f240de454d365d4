using Microsoft.Extensions.Logging;

namespace Meshwork.Serf;

/// <summary>Log messages of the serf layer, with stable event ids (1100-1199).</summary>
internal static partial class SerfLog
{
    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Unhandled internal query {Name}")]
    public static partial void UnknownInternalQuery(ILogger logger, string name);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Keyring changed by {Query}")]
    public static partial void KeyringChanged(ILogger logger, string query);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Attempting reconnect to {Address}")]
    public static partial void Reconnecting(ILogger logger, System.Net.IPEndPoint address);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "Name conflict resolution failed")]
    public static partial void ConflictFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Dropped malformed serf input ({Kind}): {Detail}")]
    public static partial void Dropped(ILogger logger, string kind, string detail);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Snapshot error")]
    public static partial void SnapshotFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Error, Message = "A MemberChanged handler threw {Error}: {Detail}")]
    public static partial void MemberHandlerFailed(ILogger logger, string error, string detail);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "The reconnect delegate threw {Error}: {Detail}; this round is skipped")]
    public static partial void ReconnectDelegateFailed(ILogger logger, string error, string detail);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "Node name conflicts with another node at {Other}. Names must be unique! (Resolution enabled: true)")]
    public static partial void NameConflict(ILogger logger, System.Net.IPEndPoint other);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "minority in name conflict resolution, quitting [{Matching} / {Responses}]")]
    public static partial void ConflictLost(ILogger logger, int matching, int responses);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "majority in name conflict resolution [{Matching} / {Responses}]")]
    public static partial void ConflictWon(ILogger logger, int matching, int responses);
}
