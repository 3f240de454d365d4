using System.Net;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip;

/// <summary>
/// The member list protocol as a sans-I/O state machine, for hosts that bring their own I/O and time (the
/// deterministic simulator in <c>Meshwork.Gossip.Simulation</c>, or a custom transport). It never opens a socket,
/// starts a thread or reads the clock: datagrams go in through <see cref="HandlePacket"/>, push/pull state through
/// <see cref="BuildPushPull"/> and <see cref="MergeRemote"/>; timers, randomness, outgoing datagrams, push/pull and
/// stream pings go out through the <see cref="IGossipRuntime"/> given to the constructor.
/// </summary>
/// <remarks>
/// Not thread-safe, by design: the host serialises every call on this object with every timer callback it runs for
/// the runtime (a single simulation thread does that trivially; <see cref="GossipNode"/> does it with its
/// <see cref="GossipNode.StateLock"/>). Delegate callbacks run synchronously inside those calls. Membership changes
/// are reported only through <see cref="EventDelegate"/> (there is no event channel here).
/// </remarks>
public sealed class MemberlistStateMachine
{
    private readonly MemberlistCore _core;

    /// <summary>Creates a stopped state machine; call <see cref="Start"/> to announce the node and start its timers.</summary>
    /// <param name="options">Protocol settings; <see cref="MemberlistOptions.Name"/> is this node's name.</param>
    /// <param name="runtime">Clock, timers, randomness and the outgoing side of the network.</param>
    /// <param name="logger">Protocol log (optional; nothing is logged without it).</param>
    public MemberlistStateMachine(MemberlistOptions options, IGossipRuntime runtime, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runtime);
        _core = new MemberlistCore(options, runtime, logger) { PublishEvents = false };
    }

    /// <summary>The core itself, for white-box tests in this assembly's test project.</summary>
    internal MemberlistCore Core => _core;

    /// <summary>The settings this state machine runs with.</summary>
    public MemberlistOptions Options => _core.Options;

    /// <summary>This node's name.</summary>
    public string Name => _core.Name;

    /// <summary>Upper-layer hooks (node meta, user messages, broadcasts, push/pull state); set before <see cref="Start"/>.</summary>
    public IGossipDelegate? Delegate { get => _core.Delegate; set => _core.Delegate = value; }

    /// <summary>Told about every join, leave/failure and meta update, synchronously, in the order they happen.</summary>
    public IMemberEventDelegate? EventDelegate { get => _core.EventDelegate; set => _core.EventDelegate = value; }

    /// <summary>Can veto a push/pull merge (see <see cref="MergeRemote"/>).</summary>
    public IMergeDelegate? MergeDelegate { get => _core.MergeDelegate; set => _core.MergeDelegate = value; }

    /// <summary>Supplies ack payloads and observes probe round-trip times.</summary>
    public IPingDelegate? PingDelegate { get => _core.PingDelegate; set => _core.PingDelegate = value; }

    /// <summary>Told when an alive message claims a known name from another address.</summary>
    public IConflictDelegate? ConflictDelegate { get => _core.ConflictDelegate; set => _core.ConflictDelegate = value; }

    /// <summary>Alternative datagram codec for peers that announced it (null: msgpack to everyone); set before <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">Its <see cref="ITransformDelegate.MessageType"/> is a memberlist message type.</exception>
    public ITransformDelegate? TransformDelegate { get => _core.TransformDelegate; set => _core.TransformDelegate = value; }

    /// <summary>Datagrams sent in the <see cref="TransformDelegate"/>'s codec.</summary>
    public long TransformedPacketsSent => _core.TransformedPacketsSent;

    /// <summary>Lifeguard health score of this node (0 = healthy; higher stretches its own probe timers).</summary>
    public int HealthScore => _core.Awareness.Score;

    /// <summary>How many times a suspicion timer of this node expired and it declared the suspect dead.</summary>
    public long SuspicionTimeouts => _core.SuspicionTimeouts;

    /// <summary>Datagram bytes handed to <see cref="IGossipRuntime.SendPacket"/> so far (after compression and encryption).</summary>
    public long BytesSent => _core.BytesSent;

    /// <summary>Snapshot of every known node, including suspect, dead and left ones not yet reaped.</summary>
    public IReadOnlyList<Node> Members() => _core.Members();

    /// <summary>Number of known nodes in <paramref name="status"/>.</summary>
    public int CountInState(NodeStatus status) => _core.CountInState(status);

    /// <summary>
    /// Marks this node alive at <paramref name="advertise"/> (the address peers reach it on) and schedules the probe,
    /// gossip and push/pull timers, each staggered randomly within its interval.
    /// </summary>
    public void Start(IPEndPoint advertise)
    {
        ArgumentNullException.ThrowIfNull(advertise);
        _core.Start(advertise);
    }

    /// <summary>
    /// Processes one received datagram exactly as it came off the network (decrypt, CRC check, decompress, compound
    /// split, dispatch). Malformed input is logged and dropped; it never throws for bad bytes.
    /// </summary>
    public void HandlePacket(IPEndPoint from, ReadOnlyMemory<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(from);
        _core.HandlePacket(from, datagram);
    }

    /// <summary>This node's full state for one side of a push/pull exchange (the runtime carries it to the peer).</summary>
    public PushPullSnapshot BuildPushPull(bool join) => new(_core.BuildPushPull(join));

    /// <summary>
    /// Merges a peer's push/pull state. Returns null when merged, or the reason it was refused as a whole (protocol
    /// versions outside the cluster's range, or a veto of the <see cref="MergeDelegate"/>).
    /// </summary>
    public string? MergeRemote(PushPullSnapshot remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return _core.MergeRemote(remote.State);
    }

    /// <summary>
    /// Inserts members that are already known to be alive (incarnation 1, meta <paramref name="meta"/>) without gossip
    /// or events, then reshuffles the probe order: the state of a settled cluster, so that a simulation need not
    /// replay every join. Names already known are left alone.
    /// </summary>
    public void SeedMembers(IEnumerable<(string Name, IPEndPoint EndPoint)> members, ReadOnlySpan<byte> meta)
    {
        ArgumentNullException.ThrowIfNull(members);
        var metaCopy = meta.ToArray();
        _core.SeedMembers(members.Select(m => (m.Name, m.EndPoint.Address.GetAddressBytes(), checked((ushort)m.EndPoint.Port))), metaCopy);
    }

    /// <summary>Cancels every timer and pending probe; the state machine ignores all further input.</summary>
    public void Shutdown() => _core.Shutdown();
}

/// <summary>
/// One side of a push/pull exchange: every node record this node knows plus its delegate's opaque state. Opaque on
/// purpose: it is produced by <see cref="MemberlistStateMachine.BuildPushPull"/> and consumed by
/// <see cref="MemberlistStateMachine.MergeRemote"/> of a peer; on a real network it travels as a TCP push/pull message.
/// </summary>
public sealed class PushPullSnapshot
{
    internal PushPullSnapshot(PushPullState state) => State = state;

    internal PushPullState State { get; }

    /// <summary>True when the exchange was started by a join (rather than periodic anti-entropy).</summary>
    public bool Join => State.Join;

    /// <summary>Number of node records carried.</summary>
    public int NodeCount => State.Nodes.Count;
}
