namespace Meshwork.Serf.Agent.Ipc;

/// <summary>Command names and the error texts of serf's client RPC protocol, version 1 (clients match on the texts).</summary>
internal static class IpcProtocol
{
    public const int Version = 1;

    public const string Handshake = "handshake";
    public const string Auth = "auth";
    public const string Event = "event";
    public const string ForceLeave = "force-leave";
    public const string Join = "join";
    public const string Members = "members";
    public const string MembersFiltered = "members-filtered";
    public const string Stream = "stream";
    public const string Stop = "stop";
    public const string Monitor = "monitor";
    public const string Leave = "leave";
    public const string InstallKey = "install-key";
    public const string UseKey = "use-key";
    public const string RemoveKey = "remove-key";
    public const string ListKeys = "list-keys";
    public const string Tags = "tags";
    public const string Query = "query";
    public const string Respond = "respond";
    public const string Stats = "stats";
    public const string GetCoordinate = "get-coordinate";

    public const string UnsupportedCommand = "Unsupported command";
    public const string UnsupportedIpcVersion = "Unsupported IPC version";
    public const string DuplicateHandshake = "Handshake already performed";
    public const string HandshakeRequired = "Handshake required";
    public const string MonitorExists = "Monitor already exists";
    public const string InvalidFilter = "Invalid event filter";
    public const string StreamExists = "Stream with given sequence exists";
    public const string InvalidQueryId = "No pending queries matching ID";
    public const string AuthRequired = "Authentication required";
    public const string InvalidAuthToken = "Invalid authentication token";

    private static readonly HashSet<string> s_commands = new(StringComparer.Ordinal)
    {
        Handshake, Auth, Event, ForceLeave, Join, Members, MembersFiltered, Stream, Stop, Monitor, Leave,
        InstallKey, UseKey, RemoveKey, ListKeys, Tags, Query, Respond, Stats, GetCoordinate,
    };

    /// <summary>Whether serf 0.9.4 has this command (an unknown one is answered and the connection closed).</summary>
    public static bool IsKnown(string command) => s_commands.Contains(command);

    /// <summary>Commands whose request header is followed by a body object.</summary>
    public static bool HasBody(string command) => command is not (Members or Leave or ListKeys or Stats);
}
