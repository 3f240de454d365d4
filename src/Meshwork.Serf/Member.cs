using System.Net;

namespace Meshwork.Serf;

/// <summary>Serf member status; wire values as in serf's MemberStatus.</summary>
public enum MemberStatus
{
    None = 0,
    Alive = 1,
    Leaving = 2,
    Left = 3,
    Failed = 4,
}

/// <summary>A cluster member as seen by the serf layer.</summary>
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
