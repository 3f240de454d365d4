using System.Text;
using Meshwork.Gossip.Diagnostics;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// What a memberlist 0.2.2 peer assumes about the messages it receives. A message that breaks one of these is never
/// stored, re-gossiped or answered: a Go peer that received it from us would panic (index out of range) or
/// misbehave cluster-wide. Each check names the Go code it protects; docs/gossip.md ("Input validation") lists them.
/// All checks return null when the input is fine.
/// </summary>
internal static class PeerInvariants
{
    /// <summary>Length of the protocol version vector [PMin, PMax, PCur, DMin, DMax, DCur].</summary>
    public const int VsnLength = 6;

    /// <summary>
    /// Longest node name accepted (UTF-8 bytes). memberlist has no limit, but an alive message must fit into one
    /// 1400-byte gossip packet next to up to 512 bytes of meta; 512 leaves room for both with margin.
    /// </summary>
    public const int MaxNodeNameBytes = 512;

    /// <summary>Most compound parts a Go reader handles: its length check multiplies the u8 count by 2 in u8.</summary>
    public const int MaxCompoundParts = 127;

    /// <summary>Push/pull user state bound: the limit memberlist applies to encrypted remote state (20 MiB).</summary>
    public const int MaxUserStateBytes = 20 * 1024 * 1024;

    /// <summary>Push/pull node count bound: far above any real cluster, low enough to refuse absurd headers early.</summary>
    public const int MaxPushPullNodes = 1 << 20;

    /// <summary>Largest decompressed datagram: the UDP receive buffer of memberlist (64 KiB).</summary>
    public const int MaxDecompressedPacket = 64 * 1024;

    /// <summary>Largest decompressed stream message (the encrypted-state bound, 20 MiB).</summary>
    public const int MaxDecompressedStream = MaxUserStateBytes;

    /// <summary>
    /// Vsn of an alive message (net.go handleAlive → state.go aliveNode): with 1–5 bytes, aliveNode indexes Vsn[0..5]
    /// and panics; with 0 bytes the node is stored with versions 0, which makes every later push/pull merge fail
    /// verifyProtocol (memberlist.go) cluster-wide. Values must be ordered (PMin ≥ 1, PMin ≤ PCur ≤ PMax,
    /// DMin ≤ DCur ≤ DMax) and compatible with ours in both directions, otherwise verifyProtocol refuses every merge
    /// (and so every join) once the node is known.
    /// </summary>
    public static MalformedInput? CheckVsn(byte[]? vsn, ReadOnlySpan<byte> local)
    {
        if (CheckVsnShape(vsn) is { } bad) { return bad; }
        var v = vsn!;
        if (local.Length == VsnLength
            && (local[2] < v[0] || local[2] > v[1] || v[2] < local[0] || v[2] > local[1]
                || local[5] < v[3] || local[5] > v[4] || v[5] < local[3] || v[5] > local[4]))
        {
            return new(MalformedInputKinds.Vsn, $"Vsn {Convert.ToHexString(v)} is incompatible with ours {Convert.ToHexString(local)}");
        }
        return null;
    }

    /// <summary>Length and ordering of a Vsn, without the compatibility check (push/pull states; see <see cref="CheckVsn"/>).</summary>
    public static MalformedInput? CheckVsnShape(byte[]? v)
    {
        if (v is null || v.Length != VsnLength)
        {
            return new(MalformedInputKinds.Vsn, $"Vsn has {v?.Length ?? 0} bytes (must be {VsnLength})");
        }
        if (v[0] == 0 || v[0] > v[1] || v[2] < v[0] || v[2] > v[1] || v[3] > v[4] || v[5] < v[3] || v[5] > v[4])
        {
            return new(MalformedInputKinds.Vsn, $"Vsn {Convert.ToHexString(v)} is not ordered [PMin ≤ PCur ≤ PMax, DMin ≤ DCur ≤ DMax]");
        }
        return null;
    }

    /// <summary>
    /// A node name: non-empty (no Go peer has an empty name; memberlist would store and probe a nameless node) and at
    /// most <see cref="MaxNodeNameBytes"/>.
    /// </summary>
    public static MalformedInput? CheckNodeName(string name, string what = "node name")
    {
        if (name.Length == 0) { return new(MalformedInputKinds.NodeName, $"empty {what}"); }
        var bytes = Encoding.UTF8.GetByteCount(name);
        return bytes > MaxNodeNameBytes ? new(MalformedInputKinds.NodeName, $"{what} of {bytes} bytes (limit {MaxNodeNameBytes})") : null;
    }

    /// <summary>
    /// A node address: IP of 4 or 16 bytes (net.IP; any other length prints as "?…" and every send to it fails) and a
    /// non-zero port (handleAlive/readRemoteState replace port 0 by the receiver's own bind port).
    /// </summary>
    public static MalformedInput? CheckAddress(byte[]? ip, int port, string what = "address")
    {
        if (ip is not { Length: 4 or 16 }) { return new(MalformedInputKinds.Address, $"{what} IP has {ip?.Length ?? 0} bytes (must be 4 or 16)"); }
        return port is <= 0 or > ushort.MaxValue ? new(MalformedInputKinds.Address, $"{what} port {port} out of range") : null;
    }

    /// <summary>Node meta: at most 512 bytes (memberlist MetaMaxSize; no Go node can announce more).</summary>
    public static MalformedInput? CheckMeta(byte[]? meta) =>
        meta is { Length: > MemberlistOptions.MetaMaxSize }
            ? new(MalformedInputKinds.Meta, $"meta of {meta.Length} bytes (limit {MemberlistOptions.MetaMaxSize})")
            : null;

    /// <summary>An alive message (gossip): name, address, meta, Vsn.</summary>
    public static MalformedInput? CheckAlive(AliveMessage a, ReadOnlySpan<byte> localVsn) =>
        CheckNodeName(a.Node) ?? CheckAddress(a.Addr, a.Port) ?? CheckMeta(a.Meta) ?? CheckVsn(a.Vsn, localVsn);

    /// <summary>A suspect or dead message: the accused and the accuser are named.</summary>
    public static MalformedInput? CheckAccusation(AccusationMessage m) =>
        CheckNodeName(m.Node) ?? CheckNodeName(m.From, "accuser name");

    /// <summary>An indirect ping request: we are asked to ping Target:Port, which must be a real address.</summary>
    public static MalformedInput? CheckIndirectPing(IndirectPingMessage m) =>
        CheckAddress(m.Target, m.Port, "target");

    /// <summary>
    /// One node state of a push/pull. Every state needs a 6-byte Vsn: on a join, serf's merge delegate
    /// (net.go mergeRemoteState) indexes Vsn[0..5] of every remote state, and verifyProtocol indexes alive ones.
    /// State must be alive, suspect, dead or left (mergeState ignores others; we would re-announce them).
    /// </summary>
    public static MalformedInput? CheckPushNodeState(PushNodeState n)
    {
        if ((int)n.State is < 0 or > 3) { return new(MalformedInputKinds.NodeState, $"node '{n.Name}' has state {(int)n.State}"); }
        return CheckNodeName(n.Name) ?? CheckAddress(n.Addr, n.Port) ?? CheckMeta(n.Meta) ?? CheckVsnShape(n.Vsn);
    }

    /// <summary>A whole push/pull: header sizes and every node state.</summary>
    public static MalformedInput? CheckPushPull(PushPullState state)
    {
        foreach (var n in state.Nodes)
        {
            if (CheckPushNodeState(n) is { } bad) { return bad; }
        }
        return null;
    }

    /// <summary>Push/pull header sizes (readRemoteState allocates both up front).</summary>
    public static MalformedInput? CheckPushPullHeader(PushPullHeader h)
    {
        if (h.Nodes is < 0 or > MaxPushPullNodes) { return new(MalformedInputKinds.PushPull, $"push/pull announces {h.Nodes} nodes"); }
        return h.UserStateLen is < 0 or > MaxUserStateBytes
            ? new(MalformedInputKinds.PushPull, $"push/pull announces {h.UserStateLen} bytes of user state (limit {MaxUserStateBytes})")
            : null;
    }
}

/// <summary>Thrown on a stream when the input violates a peer invariant; reported as malformed input, never with a stack trace.</summary>
internal sealed class PeerInvariantException(MalformedInput input) : Exception(input.Detail)
{
    public MalformedInput Input { get; } = input;
}
