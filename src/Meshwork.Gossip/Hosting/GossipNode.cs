using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Gossip;

/// <summary>
/// A running member list node: the protocol state machine plus a transport (UDP+TCP by default).
/// Set the delegate properties before <see cref="Start"/>.
/// </summary>
public sealed partial class GossipNode : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _loops = [];
    private bool _started;
    private int _disposed;

    /// <summary>Creates a node on the given transport (or binds UDP+TCP from the options).</summary>
    public GossipNode(MemberlistOptions options, ITransport? transport = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        LocalInvariants.Validate(options);
        _log = loggerFactory?.CreateLogger("Meshwork.Gossip") ?? NullLogger.Instance;
        var bound = transport ?? UdpTcpTransport.Bind(options.BindAddress, options.BindPort);
        var runtime = new RealtimeRuntime((to, d) => _transport!.SendPacket(to, d), (to, join) => _ = BackgroundPushPull(to, join), StreamPingAsync);
        Core = new MemberlistCore(options, runtime, _log);
        runtime.Gate = Core.Gate;
        _transport = WrapStreams(bound, options, Core);
    }

    internal MemberlistCore Core { get; }

    // The stream layer: plain TCP (serf's), TLS over it, or QUIC; packets always go through the bound transport.
    private static ITransport WrapStreams(ITransport bound, MemberlistOptions options, MemberlistCore core)
    {
        try
        {
            if (options.StreamTls is not null) { return new TlsStreamTransport(bound, options, core.Malformed, core.Statistics.StreamTls); }
            if (options.StreamQuic is { } quic && Security.QuicStreamOptions.IsSupported)
            {
                return QuicStreamTransport.Create(bound, quic, core.Malformed, core.Statistics.StreamTls);
            }
            return bound;
        }
        catch
        {
            // The sockets are already bound: release them, or a failed construction would keep the port.
            bound.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    internal Lock Gate => Core.Gate;

    /// <summary>
    /// The lock that serialises this node's member list state. The node holds it whenever the state changes and
    /// whenever it calls a delegate (<see cref="Delegate"/>, <see cref="EventDelegate"/>, <see cref="MergeDelegate"/>,
    /// <see cref="ConflictDelegate"/>, <see cref="PingDelegate"/>) or a <see cref="Clock"/> timer callback; the
    /// node's own public members take it too.
    /// </summary>
    /// <remarks>
    /// A layer that keeps state of its own and is driven both by these callbacks and by its own callers (Serf is one)
    /// takes this lock around its own entry points instead of adding a second lock. With two locks the member list
    /// would take its lock and then the layer's (in callbacks) while the layer takes its lock and then the member
    /// list's (to send, count members or schedule), which is a lock-order deadlock; with one lock both directions are
    /// safe because <see cref="Lock"/> is re-entrant, so the layer may call any member of this node while holding it.
    /// Hold it briefly and never across an <c>await</c>.
    /// </remarks>
    public Lock StateLock => Core.Gate;

    /// <summary>
    /// The node's monotonic clock and timers. <see cref="IGossipClock.Schedule"/> callbacks run on the thread pool
    /// with <see cref="StateLock"/> held, so a layer on top can use them for its own deadlines.
    /// </summary>
    public IGossipClock Clock => Core.Runtime;

    /// <summary>
    /// Whether membership changes are written to <see cref="Events"/>. Default true. A layer that consumes them
    /// through <see cref="EventDelegate"/> (Serf) sets it to false so the unread channel does not fill.
    /// </summary>
    public bool PublishEvents
    {
        get { lock (Gate) { return Core.PublishEvents; } }
        set { lock (Gate) { Core.PublishEvents = value; } }
    }

    /// <summary>
    /// Memberlist broadcasts (alive, suspect, dead) still queued for retransmission. Zero means every state change this
    /// node knows of has been gossiped its full retransmit count; a queue that keeps growing means gossip cannot keep up.
    /// </summary>
    public int PendingBroadcasts { get { lock (Gate) { return Core.Broadcasts.Count; } } }

    /// <summary>Number of nodes known, including suspect, dead and left ones not yet reaped (sizes retransmit limits).</summary>
    public int KnownNodeCount { get { lock (Gate) { return Core.NumNodes; } } }

    /// <summary>Number of nodes known that are alive or suspect (neither dead nor left).</summary>
    public int AliveNodeCount { get { lock (Gate) { return Core.NumAlive(); } } }

    /// <summary>The address and port announced to peers; known once <see cref="Start"/> has run (127.0.0.1:0 before).</summary>
    public IPEndPoint AdvertiseEndPoint
    {
        get { lock (Gate) { return new IPEndPoint(new IPAddress(Core.AdvertiseAddr), Core.AdvertisePort); } }
    }

    /// <summary>The options this node runs with.</summary>
    public MemberlistOptions Options => Core.Options;

    /// <summary>Bound gossip endpoint.</summary>
    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Upper-layer hooks (serf); set before <see cref="Start"/>.</summary>
    public IGossipDelegate? Delegate { get => Core.Delegate; set => Core.Delegate = value; }

    /// <summary>Membership change callbacks (in addition to <see cref="Events"/>).</summary>
    public IMemberEventDelegate? EventDelegate { get => Core.EventDelegate; set => Core.EventDelegate = value; }

    /// <summary>Veto hook for push/pull merges.</summary>
    public IMergeDelegate? MergeDelegate { get => Core.MergeDelegate; set => Core.MergeDelegate = value; }

    /// <summary>Name-conflict hook.</summary>
    public IConflictDelegate? ConflictDelegate { get => Core.ConflictDelegate; set => Core.ConflictDelegate = value; }

    /// <summary>Ack payload / RTT hook.</summary>
    public IPingDelegate? PingDelegate { get => Core.PingDelegate; set => Core.PingDelegate = value; }

    /// <summary>
    /// Alternative datagram codec for peers that announced it (null, the default: msgpack to everyone, as serf). Set
    /// before <see cref="Start"/>; see <see cref="Wire.CompactGossipCodec"/> for the built-in one and how it is announced.
    /// </summary>
    /// <exception cref="ArgumentException">Its <see cref="ITransformDelegate.MessageType"/> is a memberlist message type.</exception>
    public ITransformDelegate? TransformDelegate
    {
        get { lock (Gate) { return Core.TransformDelegate; } }
        set { lock (Gate) { Core.TransformDelegate = value; } }
    }

    /// <summary>Datagrams this node sent in the <see cref="TransformDelegate"/>'s codec.</summary>
    public long TransformedPacketsSent { get { lock (Gate) { return Core.TransformedPacketsSent; } } }

    /// <summary>Membership changes as a channel (bounded at 8192 unread events; the oldest are dropped beyond that).</summary>
    public ChannelReader<MemberEvent> Events => Core.Events;

    /// <summary>Membership changes as an async stream.</summary>
    public async IAsyncEnumerable<MemberEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in Core.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false)) { yield return e; }
    }

    /// <summary>Malformed input dropped by this node (and the layer above it): counts per kind and the rate-limited log.</summary>
    public MalformedInputReporter MalformedInput => Core.Malformed;

    /// <summary>Probe, suspicion, refutation and packet totals since the node started; readable without the state lock.</summary>
    public GossipStatistics Statistics => Core.Statistics;

    /// <summary>Lifeguard health score (0 = healthy).</summary>
    public int HealthScore { get { lock (Gate) { return Core.Awareness.Score; } } }

    /// <summary>Snapshot of all known nodes including suspect, dead and left ones not yet reaped.</summary>
    public IReadOnlyList<Node> Members { get { lock (Gate) { return Core.Members(); } } }

    /// <summary>Our own node record.</summary>
    public Node LocalNode { get { lock (Gate) { return Core.LocalState!.ToNode(); } } }

    /// <summary>Starts timers and receive loops.</summary>
    public void Start()
    {
        if (_started) { throw new InvalidOperationException("already started"); }
        _started = true;
        var advertise = new IPEndPoint(
            Options.AdvertiseAddress ?? (LocalEndPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : LocalEndPoint.Address),
            Options.AdvertisePort != 0 ? Options.AdvertisePort : LocalEndPoint.Port);
        lock (Gate) { Core.Start(advertise); }
        _loops.Add(Task.Run(PacketLoopAsync));
        _loops.Add(Task.Run(StreamLoopAsync));
    }

    /// <summary>Joins a cluster by push/pull with each seed; returns how many succeeded (throws if none did).</summary>
    public async Task<int> JoinAsync(IEnumerable<IPEndPoint> seeds, CancellationToken cancellationToken = default)
    {
        var ok = 0;
        var errors = new List<Exception>();
        foreach (var seed in seeds)
        {
            try
            {
                await PushPullAsync(seed, join: true, cancellationToken).ConfigureAwait(false);
                ok++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                GossipLog.JoinFailed(_log, seed, e);
                errors.Add(e);
            }
        }
        if (ok == 0 && errors.Count > 0) { throw new AggregateException("join failed", errors); }
        return ok;
    }

    /// <summary>Sends a user message to an address over UDP (unreliable).</summary>
    public void SendUserPacket(IPEndPoint to, ReadOnlySpan<byte> payload)
    {
        lock (Gate) { Core.SendUserPacket(to, payload); }
    }

    /// <summary>Re-announces this node's meta (from the delegate) with a new incarnation; waits for dissemination.</summary>
    public async Task UpdateMetaAsync(TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate) { Core.UpdateMeta(() => tcs.TrySetResult()); }
        await Task.WhenAny(tcs.Task, Task.Delay(timeout)).ConfigureAwait(false);
    }

    /// <summary>Gracefully leaves: broadcasts dead(self, From=self) and waits until it was sent (or the timeout).</summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate) { Core.Leave(() => tcs.TrySetResult()); }
        await Task.WhenAny(tcs.Task, Task.Delay(timeout)).ConfigureAwait(false);
    }

    /// <summary>Stops timers and closes the transport (without leaving; call <see cref="LeaveAsync"/> first for a graceful exit).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) { return; }
        lock (Gate) { Core.Shutdown(); }
        await _cts.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_loops).ConfigureAwait(false); } catch (Exception) { }
        _cts.Dispose();
    }
}
