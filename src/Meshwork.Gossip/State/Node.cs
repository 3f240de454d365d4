using System.Net;

namespace Meshwork.Gossip;

/// <summary>An immutable snapshot of one member as known locally.</summary>
/// <param name="Name">Unique node name.</param>
/// <param name="Address">Gossip address (<see cref="IPAddress.None"/> if a peer sent an invalid one).</param>
/// <param name="Port">Gossip port (UDP and TCP).</param>
/// <param name="Meta">Node metadata, at most 512 bytes (Serf: encoded tags).</param>
/// <param name="Status">Alive, suspect, dead or left.</param>
/// <param name="Incarnation">Incarnation number; only the node itself raises it (to refute).</param>
/// <param name="Vsn">Protocol versions [PMin, PMax, PCur, DMin, DMax, DCur] as announced (empty if unknown).</param>
public sealed record Node(
    string Name,
    IPAddress Address,
    int Port,
    byte[] Meta,
    NodeStatus Status,
    uint Incarnation,
    byte[] Vsn)
{
    /// <summary>The gossip endpoint (UDP and TCP).</summary>
    public IPEndPoint EndPoint => new(Address, Port);

    /// <summary>Minimum memberlist protocol understood.</summary>
    public byte ProtocolMin => Vsn.Length == 6 ? Vsn[0] : (byte)0;

    /// <summary>Maximum memberlist protocol understood.</summary>
    public byte ProtocolMax => Vsn.Length == 6 ? Vsn[1] : (byte)0;

    /// <summary>memberlist protocol spoken.</summary>
    public byte ProtocolCur => Vsn.Length == 6 ? Vsn[2] : (byte)0;

    /// <summary>Minimum delegate (serf) protocol.</summary>
    public byte DelegateMin => Vsn.Length == 6 ? Vsn[3] : (byte)0;

    /// <summary>Maximum delegate (serf) protocol.</summary>
    public byte DelegateMax => Vsn.Length == 6 ? Vsn[4] : (byte)0;

    /// <summary>Delegate (serf) protocol spoken.</summary>
    public byte DelegateCur => Vsn.Length == 6 ? Vsn[5] : (byte)0;
}
