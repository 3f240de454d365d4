namespace Meshwork.Gossip;

/// <summary>Hooks for the layer above the member list (serf): meta, user messages, broadcasts and push/pull state.</summary>
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

/// <summary>Membership change notifications, called with the member list lock held (do not block).</summary>
public interface IMemberEventDelegate
{
    void NotifyJoin(Node node);
    void NotifyLeave(Node node);
    void NotifyUpdate(Node node);
}

/// <summary>Can veto a push/pull merge (for instance a join into the wrong cluster).</summary>
public interface IMergeDelegate
{
    /// <summary>Returns null to accept, or an error text to refuse the whole remote state.</summary>
    string? NotifyMerge(IReadOnlyList<Node> peers);
}

/// <summary>Piggy-backs data on acks (serf: Vivaldi coordinates) and observes round-trip times.</summary>
public interface IPingDelegate
{
    /// <summary>Payload put into every UDP ack this node sends (null for none).</summary>
    byte[]? AckPayload();

    /// <summary>A probe of <paramref name="other"/> completed with this RTT and the payload of its ack.</summary>
    void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload);
}

/// <summary>Told when an alive message claims a known name from a different address (memberlist refuses it).</summary>
public interface IConflictDelegate
{
    /// <summary><paramref name="existing"/> is our record; <paramref name="other"/> the conflicting claim.</summary>
    void NotifyConflict(Node existing, Node other);
}

/// <summary>Kind of membership change.</summary>
public enum MemberEventKind
{
    Join,
    Leave,
    Update,
}

/// <summary>A membership change; <see cref="Node"/> is the state right after it.</summary>
public sealed record MemberEvent(MemberEventKind Kind, Node Node);
