namespace Meshwork.Gossip;

/// <summary>Hooks for the layer above the member list (serf): meta, user messages, broadcasts and push/pull state.</summary>
/// <remarks>
/// Every hook of every delegate interface here is called synchronously by the protocol, serialised with all other
/// member list work: on a <see cref="GossipNode"/> with <see cref="GossipNode.StateLock"/> held, on a
/// <see cref="MemberlistStateMachine"/> inside the host's call. Keep hooks short; do not block or wait for another
/// thread that needs the lock. Calling back into the node from a hook is allowed (the lock is re-entrant).
/// </remarks>
public interface IGossipDelegate
{
    /// <summary>Metadata announced in alive messages; must not exceed <paramref name="limit"/> bytes.</summary>
    byte[] NodeMeta(int limit);

    /// <summary>A user message (type 8) arrived; <paramref name="message"/> is the payload after the type byte.</summary>
    void NotifyMessage(ReadOnlySpan<byte> message);

    /// <summary>Broadcasts to piggy-back, each costing its length plus <paramref name="overhead"/>, within <paramref name="limit"/> bytes.</summary>
    IReadOnlyList<byte[]> GetBroadcasts(int overhead, int limit);

    /// <summary>State sent in a push/pull.</summary>
    byte[] LocalState(bool join);

    /// <summary>State received in a push/pull.</summary>
    void MergeRemoteState(ReadOnlySpan<byte> state, bool join);
}

/// <summary>
/// Membership change notifications, called synchronously in the order the changes happen, with the member list's
/// state lock held (<see cref="GossipNode.StateLock"/>): do not block, and do not wait for other threads that need it.
/// </summary>
public interface IMemberEventDelegate
{
    /// <summary>A node became alive: new, or back after being dead or left. <paramref name="node"/> is its state now.</summary>
    void NotifyJoin(Node node);

    /// <summary>A node was declared dead (failed) or left gracefully; <see cref="Node.Status"/> tells which.</summary>
    void NotifyLeave(Node node);

    /// <summary>An alive node announced new meta (for Serf: new tags).</summary>
    void NotifyUpdate(Node node);
}

/// <summary>
/// Can veto a push/pull merge (for instance a join into the wrong cluster). Called under the state lock (see
/// <see cref="IGossipDelegate"/>). It sees push/pull state only, not alive messages gossiped later.
/// </summary>
public interface IMergeDelegate
{
    /// <summary>Returns null to accept, or an error text to refuse the whole remote state.</summary>
    string? NotifyMerge(IReadOnlyList<Node> peers);
}

/// <summary>Piggy-backs data on acks (serf: Vivaldi coordinates) and observes round-trip times; called under the state lock.</summary>
public interface IPingDelegate
{
    /// <summary>Payload put into every UDP ack this node sends (null for none).</summary>
    byte[]? AckPayload();

    /// <summary>A probe of <paramref name="other"/> completed with this RTT and the payload of its ack.</summary>
    void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload);
}

/// <summary>Told when an alive message claims a known name from a different address (memberlist refuses it); called under the state lock.</summary>
public interface IConflictDelegate
{
    /// <summary><paramref name="existing"/> is our record; <paramref name="other"/> the conflicting claim.</summary>
    void NotifyConflict(Node existing, Node other);
}

/// <summary>Kind of membership change.</summary>
public enum MemberEventKind
{
    /// <summary>A node became alive (new, or back after being dead or left).</summary>
    Join,

    /// <summary>A node was declared dead or left gracefully.</summary>
    Leave,

    /// <summary>An alive node announced new meta.</summary>
    Update,
}

/// <summary>A membership change; <see cref="Node"/> is the state right after it.</summary>
/// <param name="Kind">What changed.</param>
/// <param name="Node">The node's record right after the change.</param>
public sealed record MemberEvent(MemberEventKind Kind, Node Node);

/// <summary>
/// A wire codec for datagrams to peers that understand it (the transform delegate). The member list builds every
/// datagram in serf's msgpack form; before compression, CRC and encryption it asks this delegate whether the
/// destination decodes the alternative (<see cref="CanSendTo"/>) and, if so, re-encodes it behind the leading byte
/// <see cref="MessageType"/>. Received datagrams starting with that byte are decoded back before dispatch. Peers
/// that never announced support (every serf agent) always get msgpack. TCP streams are not transformed.
/// Called under the state lock like the other delegates; <see cref="Wire.CompactGossipCodec"/> is the built-in one.
/// </summary>
public interface ITransformDelegate
{
    /// <summary>
    /// First byte of a transformed datagram. It must not be a memberlist message type (0–13, nor 244, which later
    /// memberlist versions use for labels), so that a misrouted datagram is refused rather than misread.
    /// </summary>
    byte MessageType { get; }

    /// <summary>Whether <paramref name="peer"/> announced that it decodes this codec (from its version vector or meta).</summary>
    bool CanSendTo(Node peer);

    /// <summary>
    /// Writes <see cref="MessageType"/> and the encoded form of <paramref name="message"/> (a complete memberlist
    /// message, type byte first, possibly a compound) to <paramref name="output"/>. Returns false, having written
    /// nothing, when the message cannot be encoded exactly; it is then sent as msgpack.
    /// </summary>
    bool TryEncode(ReadOnlySpan<byte> message, System.Buffers.IBufferWriter<byte> output);

    /// <summary>Decodes <paramref name="body"/> (a datagram after <see cref="MessageType"/>) into the memberlist message it carries.</summary>
    /// <exception cref="Wire.WireFormatException">The body is malformed; the datagram is dropped and counted.</exception>
    void Decode(ReadOnlySpan<byte> body, System.Buffers.IBufferWriter<byte> output);
}
