namespace Meshwork.Discovery.ZooKeeper;

/// <summary>
/// Error codes of the ZooKeeper protocol (the <c>err</c> field of a reply header), plus the codes this client uses for
/// failures it detects itself (connection loss, timeouts, malformed frames), which ZooKeeper defines for the same cases.
/// </summary>
public enum ZooKeeperErrorCode
{
    /// <summary>No error.</summary>
    Ok = 0,

    /// <summary>The server failed internally.</summary>
    SystemError = -1,

    /// <summary>The server found its state inconsistent.</summary>
    RuntimeInconsistency = -2,

    /// <summary>The server found its data inconsistent.</summary>
    DataInconsistency = -3,

    /// <summary>The connection to the server was lost or could not be made; the request may or may not have been applied.</summary>
    ConnectionLoss = -4,

    /// <summary>A frame could not be encoded or decoded (for example a malformed or oversized frame).</summary>
    MarshallingError = -5,

    /// <summary>The server does not implement the operation.</summary>
    Unimplemented = -6,

    /// <summary>The operation did not complete in time.</summary>
    OperationTimeout = -7,

    /// <summary>The server refused the request's arguments.</summary>
    BadArguments = -8,

    /// <summary>The session is unknown to the server.</summary>
    UnknownSession = -12,

    /// <summary>Generic API error.</summary>
    ApiError = -100,

    /// <summary>The node does not exist.</summary>
    NoNode = -101,

    /// <summary>The session is not authorized for the operation.</summary>
    NoAuth = -102,

    /// <summary>The node's version does not match the expected one.</summary>
    BadVersion = -103,

    /// <summary>Ephemeral nodes cannot have children.</summary>
    NoChildrenForEphemerals = -108,

    /// <summary>The node already exists.</summary>
    NodeExists = -110,

    /// <summary>The node has children and cannot be deleted.</summary>
    NotEmpty = -111,

    /// <summary>The session expired: its ephemeral nodes are gone and a new session is needed.</summary>
    SessionExpired = -112,

    /// <summary>Invalid callback.</summary>
    InvalidCallback = -113,

    /// <summary>The ACL is invalid.</summary>
    InvalidAcl = -114,

    /// <summary>Authentication failed.</summary>
    AuthFailed = -115,

    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,

    /// <summary>The server is read-only and the request writes.</summary>
    NotReadOnly = -119,

    /// <summary>Ephemeral nodes need a global session.</summary>
    EphemeralOnLocalSession = -120,

    /// <summary>No such watcher.</summary>
    NoWatcher = -121,

    /// <summary>The request timed out on the client (no reply within the request timeout).</summary>
    RequestTimeout = -122,

    /// <summary>The request was throttled and not executed (for example too many requests in flight).</summary>
    Throttled = -127,
}

/// <summary>
/// A ZooKeeper operation failed. <see cref="Code"/> says how (for example <see cref="ZooKeeperErrorCode.NoNode"/>,
/// <see cref="ZooKeeperErrorCode.SessionExpired"/>, <see cref="ZooKeeperErrorCode.ConnectionLoss"/>); the message names
/// the operation, the node path when there is one, and the server.
/// </summary>
public sealed class ZooKeeperException : Exception
{
    /// <summary>Creates the error.</summary>
    public ZooKeeperException(ZooKeeperErrorCode code, string message, string? path = null, Exception? inner = null)
        : base($"ZooKeeper {Describe(code)}: {message}{(path is null ? "" : " (node " + path + ")")}", inner)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The error code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The node the operation addressed, when there is one.</summary>
    public string? Path { get; }

    /// <summary>The code's name, or its number when the server sent one this client does not know.</summary>
    internal static string Describe(ZooKeeperErrorCode code) =>
        Enum.IsDefined(code) ? code.ToString() : "error " + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
