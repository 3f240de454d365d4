using System.Net;

namespace Meshwork.Gossip;

/// <summary>Mutable per-node record owned by the member list (guarded by its lock).</summary>
internal sealed class NodeState
{
    public required string Name { get; init; }
    public byte[] Addr { get; set; } = [];
    public ushort Port { get; set; }
    public byte[] Meta { get; set; } = [];
    public uint Incarnation { get; set; }
    public NodeStatus State { get; set; }
    public TimeSpan StateChange { get; set; }
    public byte[] Vsn { get; set; } = [];

    public byte PMax => Vsn.Length == 6 ? Vsn[1] : (byte)0;

    public IPEndPoint EndPoint => new(new IPAddress(Addr), Port);

    public bool DeadOrLeft => State is NodeStatus.Dead or NodeStatus.Left;

    /// <summary>The transform decision for this node, valid while <see cref="Vsn"/> and <see cref="Meta"/> are these arrays.</summary>
    public (byte[] Vsn, byte[] Meta, bool Accepts)? TransformDecision { get; set; }

    public Node ToNode() => new(Name, Addr.Length is 4 or 16 ? new IPAddress(Addr) : IPAddress.None, Port, Meta, State, Incarnation, Vsn);
}
