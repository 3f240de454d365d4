using System.Net;

namespace Meshwork.Gossip;

/// <summary>An immutable snapshot of one member as known locally.</summary>
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
