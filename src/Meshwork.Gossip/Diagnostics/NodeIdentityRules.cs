using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// The node-name and address rules a memberlist 0.2.2 peer relies on, for layers above gossip (Serf intents, query
/// replies, relays) that carry names and addresses of their own. Each check returns null when the input is fine and
/// otherwise what is wrong; the caller drops the message instead of storing, relaying or answering it.
/// </summary>
public static class NodeIdentityRules
{
    /// <summary>Longest node name accepted, in UTF-8 bytes.</summary>
    public const int MaxNodeNameBytes = PeerInvariants.MaxNodeNameBytes;

    /// <summary>A node name is non-empty and at most <see cref="MaxNodeNameBytes"/> UTF-8 bytes.</summary>
    /// <param name="name">The name received.</param>
    /// <param name="what">What the name is, for the report (for example "join intent node name").</param>
    public static MalformedInput? CheckNodeName(string name, string what = "node name") => PeerInvariants.CheckNodeName(name, what);

    /// <summary>An address is an IPv4 or IPv6 address (4 or 16 bytes) with a non-zero port.</summary>
    /// <param name="ip">The raw address bytes received.</param>
    /// <param name="port">The port received.</param>
    /// <param name="what">What the address is, for the report (for example "relay destination").</param>
    public static MalformedInput? CheckAddress(byte[]? ip, int port, string what = "address") => PeerInvariants.CheckAddress(ip, port, what);
}
