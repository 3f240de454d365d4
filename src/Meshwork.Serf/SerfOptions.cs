using Meshwork.Gossip;

namespace Meshwork.Serf;

/// <summary>
/// Serf layer settings. Defaults follow serf 0.9.4's DefaultConfig (and the agent where it differs, noted below).
/// </summary>
public sealed class SerfOptions
{
    /// <summary>The member list underneath; its Name is the node name. Default: the LAN profile.</summary>
    public MemberlistOptions Memberlist { get; set; } = new();

    /// <summary>Node name (shortcut for <see cref="MemberlistOptions.Name"/>).</summary>
    public string NodeName { get => Memberlist.Name; set => Memberlist.Name = value; }

    /// <summary>
    /// TLS on gossip streams between Meshwork nodes (shortcut for <see cref="MemberlistOptions.StreamTls"/>). Default
    /// null: plain streams, which serf agents need; with it set the node streams only with peers that use it too.
    /// </summary>
    public Gossip.Security.StreamTlsOptions? StreamTls { get => Memberlist.StreamTls; set => Memberlist.StreamTls = value; }

    /// <summary>
    /// Resolves the addresses given to <see cref="SerfNode.JoinAsync(IEnumerable{string}, bool, CancellationToken)"/>,
    /// again at every call, so retried joins follow a seed whose name moved. Default: <see cref="Gossip.Transport.DnsAddressResolver"/>.
    /// </summary>
    public Gossip.Transport.IAddressResolver AddressResolver { get; set; } = Gossip.Transport.DnsAddressResolver.Instance;

    /// <summary>Tags announced in node meta. Encoded size must stay ≤ 512 bytes. Default: none.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Serf protocol spoken (DCur). Default 5 like the agent (the library default is 4); ≥ 4 is needed for queries.</summary>
    public byte ProtocolVersion { get; set; } = 5;

    /// <summary>Slots of the user-event de-duplication ring; events older than this many LTimes are dropped. Default 512.</summary>
    public int EventBuffer { get; set; } = 512;

    /// <summary>Slots of the query de-duplication ring. Default 512.</summary>
    public int QueryBuffer { get; set; } = 512;

    /// <summary>Default query timeout = GossipInterval × QueryTimeoutMult × ceil(log10(n+1)). Default 16.</summary>
    public int QueryTimeoutMult { get; set; } = 16;

    /// <summary>Maximum encoded query response (incl. type byte). Default 1024: must fit in one UDP packet.</summary>
    public int QueryResponseSizeLimit { get; set; } = 1024;

    /// <summary>Maximum encoded query (incl. type byte). Default 1024.</summary>
    public int QuerySizeLimit { get; set; } = 1024;

    /// <summary>Maximum user event size (name + payload, and the encoded message). Default 512 like the agent.</summary>
    public int UserEventSizeLimit { get; set; } = 512;

    /// <summary>How long to wait for leave and tag broadcasts to go out. Default 5 s.</summary>
    public TimeSpan BroadcastTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause after the memberlist leave so the dead(self) message can spread. Default 1 s.</summary>
    public TimeSpan LeavePropagateDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Each serf broadcast queue is pruned to this many messages (oldest dropped first). Default 4096.</summary>
    public int MaxQueueDepth { get; set; } = 4096;

    /// <summary>How often failed/left members and stale intents are pruned. Default 15 s.</summary>
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a reconnect to a random failed member is attempted. Default 30 s.</summary>
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failed members are reaped after this. Default 24 h (long, so partitions can heal).</summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Left members are kept (as tombstones) this long. Default 24 h.</summary>
    public TimeSpan TombstoneTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Join/leave intents for not-yet-known members are remembered this long. Default 5 min.</summary>
    public TimeSpan RecentIntentTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Member events are coalesced locally for at most this long (0 = off, the library default; the agent uses 3 s).
    /// Reduces event storms when many members change at once.
    /// </summary>
    public TimeSpan CoalescePeriod { get; set; }

    /// <summary>A member-event window also closes after this long without new member events (agent: 1 s).</summary>
    public TimeSpan QuiescentPeriod { get; set; }

    /// <summary>Coalescable user events (CC flag) keep only the newest LTime per name within this window (0 = off; agent: 3 s).</summary>
    public TimeSpan UserCoalescePeriod { get; set; }

    /// <summary>A user-event window also closes after this long without new coalescable events (agent: 1 s).</summary>
    public TimeSpan UserQuiescentPeriod { get; set; }

    /// <summary>
    /// Events waiting to be read from <see cref="SerfNode.Events"/>; beyond this the oldest are dropped so a node whose
    /// application does not read events keeps bounded memory. Default 16384.
    /// </summary>
    public int EventChannelCapacity { get; set; } = 16384;

    /// <summary>
    /// JSON array of base64 keys (first = primary), like serf's -keyring-file. Loaded at start when the member list has
    /// no keyring yet, and rewritten after every key change made through internal queries. Default null.
    /// </summary>
    public string? KeyringFile { get; set; }

    /// <summary>Path of the snapshot file (serf's -snapshot). Default null: no snapshot.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>Rejoin the snapshot's members even after a graceful leave (serf's -rejoin). Default false.</summary>
    public bool RejoinAfterLeave { get; set; }

    /// <summary>Turn off Vivaldi coordinates (acks then carry no payload). Default false: serf computes them.</summary>
    public bool DisableCoordinates { get; set; }

    /// <summary>Vivaldi settings (serf's defaults).</summary>
    public Coordinates.VivaldiOptions Vivaldi { get; set; } = new();

    /// <summary>Ignore user events older than the cluster's event clock when joining (the agent default unless -replay). Default true.</summary>
    public bool IgnoreOldEventsOnJoin { get; set; } = true;

    // Delegates (issue 16): the datagram codec, the reconnect policy and extra member-list delegates.

    /// <summary>
    /// Codec for datagrams to other Meshwork nodes. Default <see cref="Serf.GossipCodec.MsgPack"/>: serf's own form,
    /// to everyone. <see cref="Serf.GossipCodec.Compact"/> announces support (memberlist protocol max 6) and sends the
    /// compact form to peers that announced it too, msgpack to all others (serf agents); see docs/gossip.md.
    /// </summary>
    public GossipCodec GossipCodec { get; set; } = GossipCodec.MsgPack;

    /// <summary>
    /// Decides when failed members are tried again. Default null: serf's rule (<see cref="SerfReconnectDelegate"/>
    /// with <see cref="ReconnectInterval"/>), so a Meshwork node reconnects exactly like an agent.
    /// </summary>
    public IReconnectDelegate? ReconnectDelegate { get; set; }

    /// <summary>
    /// Extra membership delegates, called after serf's own bookkeeping, in list order, each isolated from the others'
    /// exceptions (<see cref="Gossip.Composite.CompositeMemberEventDelegate"/>). Default empty.
    /// </summary>
    public IList<IMemberEventDelegate> MemberEventDelegates { get; } = new List<IMemberEventDelegate>();

    /// <summary>
    /// Push/pull merge guards; a merge (and so a join) is refused if any of them refuses it
    /// (<see cref="Gossip.Composite.CompositeMergeDelegate"/>; a throwing guard counts as a refusal). Default empty.
    /// </summary>
    public IList<IMergeDelegate> MergeDelegates { get; } = new List<IMergeDelegate>();
}
