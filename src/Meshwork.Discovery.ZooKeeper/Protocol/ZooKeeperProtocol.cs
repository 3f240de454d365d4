namespace Meshwork.Discovery.ZooKeeper.Protocol;

/// <summary>Operation codes of the request header (facts of the ZooKeeper protocol).</summary>
internal enum OpCode
{
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetChildren2 = 12,
    Ping = 11,
    CloseSession = -11,
}

/// <summary>Reserved xids: replies and events that do not answer a numbered request.</summary>
internal static class SpecialXid
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}

/// <summary>Node creation flags of CreateRequest.</summary>
internal enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
}

/// <summary>WatcherEvent.type.</summary>
internal enum WatchEventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}

/// <summary>WatcherEvent.state (the session's state when the event was sent, or a local state for synthesized events).</summary>
internal enum WatchKeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    Expired = -112,
    Closed = 7,
}

/// <summary>A watch notification: from the server (xid -1), or made up locally when the connection is lost.</summary>
internal readonly record struct WatchedEvent(WatchEventType Type, WatchKeeperState State, string? Path);

/// <summary>A node's metadata (the jute Stat record).</summary>
internal readonly record struct ZNodeStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid);

/// <summary>Protocol constants.</summary>
internal static class ZooKeeperWire
{
    /// <summary>ConnectRequest.protocolVersion: the only version ZooKeeper 3.x speaks.</summary>
    public const int ProtocolVersion = 0;

    /// <summary>Length of a session password: 16 bytes, all zero when asking for a new session.</summary>
    public const int PasswordLength = 16;

    /// <summary>Size of a reply header: xid (4), zxid (8), err (4).</summary>
    public const int ReplyHeaderLength = 16;

    /// <summary>ACL perms for "all" (read 1 | write 2 | create 4 | delete 8 | admin 16).</summary>
    public const int PermsAll = 31;

    /// <summary>Version -1 matches any version (delete, setData).</summary>
    public const int AnyVersion = -1;
}
