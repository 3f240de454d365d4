using System.Net;

namespace Meshwork.Serf;

/// <summary>Serf member status; wire values as in serf's MemberStatus.</summary>
public enum MemberStatus
{
    /// <summary>Not known (never sent for a real member).</summary>
    None = 0,

    /// <summary>Member of the cluster.</summary>
    Alive = 1,

    /// <summary>Announced a graceful leave that has not completed yet.</summary>
    Leaving = 2,

    /// <summary>Left gracefully; kept as a tombstone until reaped.</summary>
    Left = 3,

    /// <summary>Declared dead by the member list without a leave; reconnects are tried until reaped.</summary>
    Failed = 4,
}

/// <summary>A cluster member as seen by the serf layer.</summary>
/// <param name="Name">Unique node name.</param>
/// <param name="Address">Gossip address.</param>
/// <param name="Port">Gossip port.</param>
/// <param name="Tags">Tags announced by the member.</param>
/// <param name="Status">Serf status.</param>
/// <param name="ProtocolMin">Lowest memberlist protocol it understands.</param>
/// <param name="ProtocolMax">Highest memberlist protocol it understands.</param>
/// <param name="ProtocolCur">Memberlist protocol it speaks.</param>
/// <param name="DelegateMin">Lowest serf protocol it understands.</param>
/// <param name="DelegateMax">Highest serf protocol it understands.</param>
/// <param name="DelegateCur">Serf protocol it speaks.</param>
public sealed record Member(
    string Name,
    IPAddress Address,
    int Port,
    IReadOnlyDictionary<string, string> Tags,
    MemberStatus Status,
    byte ProtocolMin,
    byte ProtocolMax,
    byte ProtocolCur,
    byte DelegateMin,
    byte DelegateMax,
    byte DelegateCur);
