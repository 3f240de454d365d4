using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

/// <summary>
/// What a serf 0.9.4 peer assumes about the serf messages it receives. A message that breaks one of these is never
/// handled, re-gossiped, relayed or answered (and we refuse to originate one). Each check names the Go code it
/// protects; docs/gossip.md ("Input validation") lists them. Checks return null when the message is fine.
/// </summary>
internal static class SerfInvariants
{
    /// <summary>
    /// Highest Lamport time accepted (2^63 − 1). Go's LamportClock.Witness stores v+1 and push/pull merging computes
    /// StatusLTimes[n]+1: at 2^64 − 1 both wrap to 0 and reset the clocks of every peer. Real clusters are many orders
    /// of magnitude below this bound.
    /// </summary>
    public const ulong MaxLamportTime = long.MaxValue;

    /// <summary>Longest query timeout accepted (24 h); a deadline beyond it is not a real query and overflows date arithmetic.</summary>
    public static readonly TimeSpan MaxQueryTimeout = TimeSpan.FromHours(24);

    private const string KeyQueryInstall = "_serf_install-key";
    private const string KeyQueryUse = "_serf_use-key";
    private const string KeyQueryRemove = "_serf_remove-key";

    public static MalformedInput? CheckLTime(ulong ltime, string what) =>
        ltime > MaxLamportTime ? new(SerfMalformedInputKinds.LamportTime, $"{what} Lamport time {ltime} is beyond {MaxLamportTime}") : null;

    /// <summary>Join intent (serf.go handleNodeJoinIntent): named node, sane clock.</summary>
    public static MalformedInput? CheckJoin(JoinMessage m) =>
        CheckLTime(m.LTime, "join intent") ?? NodeIdentityRules.CheckNodeName(m.Node, "join intent node name");

    /// <summary>Leave intent (serf.go handleNodeLeaveIntent): named node, sane clock.</summary>
    public static MalformedInput? CheckLeave(LeaveMessage m) =>
        CheckLTime(m.LTime, "leave intent") ?? NodeIdentityRules.CheckNodeName(m.Node, "leave intent node name");

    /// <summary>User event (serf.go handleUserEvent indexes the ring by LTime; the clock must stay sane).</summary>
    public static MalformedInput? CheckUserEvent(UserEventMessage m) => CheckLTime(m.LTime, "user event");

    /// <summary>
    /// Query (serf.go handleQuery, query.go shouldProcessQuery, internal_query.go):
    /// every filter element non-empty (shouldProcessQuery reads filter[0] → panic on an empty element), of a known
    /// type (0 node, 1 tag) and decodable; the three key-changing internal queries carry a non-empty payload
    /// (handleInstallKey/UseKey/RemoveKey slice Payload[1:] → panic on empty); the reply address is a real
    /// IP:port (acks, responses and relays go there); sane clock and timeout.
    /// </summary>
    public static MalformedInput? CheckQuery(QueryMessage q)
    {
        if (CheckLTime(q.LTime, "query") is { } lt) { return lt; }
        if (NodeIdentityRules.CheckAddress(q.Addr, q.Port, "query reply") is { } addr) { return addr; }
        if (q.Timeout < 0 || q.Timeout / 100 > MaxQueryTimeout.Ticks)
        {
            return new(SerfMalformedInputKinds.Query, $"query timeout of {q.Timeout} ns is outside [0, {MaxQueryTimeout}]");
        }
        if (q.Filters is { } filters)
        {
            for (var i = 0; i < filters.Count; i++)
            {
                if (CheckFilter(filters[i]) is { } detail) { return new(SerfMalformedInputKinds.QueryFilter, $"filter {i}: {detail}"); }
            }
        }
        if (q.Name is KeyQueryInstall or KeyQueryUse or KeyQueryRemove
            && (q.Payload.Length == 0 || q.Payload[0] != (byte)SerfMessageType.KeyRequest))
        {
            return new(SerfMalformedInputKinds.KeyQueryPayload,
                q.Payload.Length == 0 ? $"{q.Name} with an empty payload" : $"{q.Name} payload does not start with the key request type");
        }
        return null;
    }

    private static string? CheckFilter(byte[] filter)
    {
        if (filter.Length == 0) { return "empty filter element"; }
        try
        {
            var r = new MsgPackReader(filter.AsSpan(1));
            switch (filter[0])
            {
                case 0:
                    for (var n = r.ReadArrayHeader(); n > 0; n--) { r.ReadString(); }
                    return null;
                case 1:
                    for (var n = r.ReadMapHeader(); n > 0; n--)
                    {
                        r.ReadString();
                        r.ReadString();
                    }
                    return null;
                default:
                    return $"unknown filter type {filter[0]}";
            }
        }
        catch (Exception e) when (e is WireFormatException or OverflowException)
        {
            return "undecodable: " + e.Message;
        }
    }

    /// <summary>Query response or ack (serf.go handleQueryResponse): it names its sender and has a sane clock.</summary>
    public static MalformedInput? CheckQueryResponse(QueryResponseMessage m) =>
        CheckLTime(m.LTime, "query response") ?? NodeIdentityRules.CheckNodeName(m.From, "query response sender");

    /// <summary>
    /// Relay (delegate.go NotifyMsg, messageRelayType): serf only relays query responses, and forwards whatever follows
    /// the header to DestAddr unchecked. We forward only a well-formed query response to a real IP:port, so a relay
    /// can never carry a poisonous query or a nested relay to a Go peer.
    /// </summary>
    public static MalformedInput? CheckRelay(RelayHeader header, ReadOnlySpan<byte> inner)
    {
        if (NodeIdentityRules.CheckAddress(header.DestIP, header.DestPort, "relay destination") is { } addr)
        {
            return new(SerfMalformedInputKinds.Relay, addr.Detail);
        }
        if (inner.Length == 0 || inner[0] != (byte)SerfMessageType.QueryResponse)
        {
            return new(SerfMalformedInputKinds.Relay, inner.Length == 0 ? "relay without a message" : $"relay of serf message type {inner[0]} (only query responses are relayed)");
        }
        try
        {
            return CheckQueryResponse(SerfCodec.Decode(inner[1..], QueryResponseMessage.Read));
        }
        catch (Exception e) when (e is WireFormatException or OverflowException)
        {
            return new(SerfMalformedInputKinds.Relay, "relayed response undecodable: " + e.Message);
        }
    }

    /// <summary>
    /// Serf push/pull state (delegate.go MergeRemoteState): every clock sane (witnessed, and +1 for left members),
    /// every member name valid.
    /// </summary>
    public static MalformedInput? CheckPushPull(PushPullMessage pp)
    {
        var bad = CheckLTime(pp.LTime, "push/pull member") ?? CheckLTime(pp.EventLTime, "push/pull event") ?? CheckLTime(pp.QueryLTime, "push/pull query");
        if (bad is not null) { return bad; }
        foreach (var (name, lt) in pp.StatusLTimes)
        {
            if ((NodeIdentityRules.CheckNodeName(name, "push/pull member name") ?? CheckLTime(lt, $"push/pull status of '{name}'")) is { } b) { return b; }
        }
        foreach (var name in pp.LeftMembers)
        {
            if (NodeIdentityRules.CheckNodeName(name, "push/pull left member name") is { } b) { return b; }
        }
        foreach (var slot in pp.Events)
        {
            if (CheckLTime(slot.LTime, "push/pull event slot") is { } b) { return b; }
        }
        return null;
    }
}
