using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Gossip;
using Meshwork.Gossip.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Serf;

/// <summary>
/// A Serf-compatible cluster member: tags, user events, queries and key management over a <see cref="GossipNode"/>.
/// Interoperates with HashiCorp serf 0.9.4 agents.
/// </summary>
public sealed partial class SerfNode : IAsyncDisposable
{
    private readonly GossipNode _gossip;
    private readonly SerfCore _core;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _loops = [];

    /// <summary>Creates a node; call <see cref="Start"/> then <see cref="JoinAsync(IEnumerable{string}, bool, CancellationToken)"/>.</summary>
    public SerfNode(SerfOptions options, ITransport? transport = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _log = loggerFactory?.CreateLogger("Meshwork.Serf") ?? NullLogger.Instance;
        var vsn = options.Memberlist.Vsn.ToArray();
        if (vsn.Length != 6 || options.ProtocolVersion < vsn[3] || options.ProtocolVersion > vsn[4])
        {
            throw new ArgumentException($"SerfOptions.ProtocolVersion {options.ProtocolVersion} is outside the supported range [{(vsn.Length == 6 ? vsn[3] : 0)}, {(vsn.Length == 6 ? vsn[4] : 0)}]", nameof(options));
        }
        vsn[5] = options.ProtocolVersion;
        AnnounceCodec(options, vsn);
        options.Memberlist.Vsn = vsn;
        // Validate tags up front so a too-large set fails at construction with a clear message.
        var size = Wire.SerfCodec.EncodeTags(options.Tags).Length;
        if (size > MemberlistOptions.MetaMaxSize) { throw new TagsTooLargeException(size, MemberlistOptions.MetaMaxSize); }
        if (options.KeyringFile is { } keyringFile && options.Memberlist.Keyring is null && File.Exists(keyringFile))
        {
            options.Memberlist.Keyring = KeyringFile.Load(keyringFile);
        }
        _gossip = new GossipNode(options.Memberlist, transport, loggerFactory);
        _core = new SerfCore(options, _gossip, _log) { Malformed = _gossip.MalformedInput };
        _core.Internal = new InternalQueryHandler(_core, options.Memberlist.Keyring, _log)
        {
            KeyringChanged = options.KeyringFile is { } path && options.Memberlist.Keyring is { } ring ? () => KeyringFile.Save(path, ring) : null,
        };
        _gossip.Delegate = _core;
        _gossip.EventDelegate = _core;
        _gossip.PublishEvents = false;
        _gossip.ConflictDelegate = new ConflictHook(this);
        WireDelegates(loggerFactory);
        if (!options.DisableCoordinates)
        {
            _coordinates = new Coordinates.CoordinateClient(options.Vivaldi, new Random());
            _ping = new Coordinates.SerfPingDelegate(_coordinates);
            _gossip.PingDelegate = _ping;
        }
    }

    private readonly Coordinates.CoordinateClient? _coordinates;
    private readonly Coordinates.SerfPingDelegate? _ping;

    /// <summary>This node's Vivaldi coordinate (null if coordinates are disabled).</summary>
    public Coordinates.Coordinate? GetCoordinate() { lock (_gossip.StateLock) { return _coordinates?.Coordinate; } }

    /// <summary>The last coordinate seen for a member (null if unknown).</summary>
    public Coordinates.Coordinate? GetCachedCoordinate(string node)
    {
        lock (_gossip.StateLock)
        {
            if (node == Name) { return _coordinates?.Coordinate; }
            return _ping?.Cache.GetValueOrDefault(node);
        }
    }

    /// <summary>Estimated RTT between two members from their coordinates (null if either is unknown).</summary>
    public TimeSpan? EstimateRtt(string a, string b) =>
        GetCachedCoordinate(a) is { } ca && GetCachedCoordinate(b) is { } cb ? ca.DistanceTo(cb) : null;

    /// <summary>The options this node runs with.</summary>
    public SerfOptions Options { get; }

    /// <summary>Malformed input dropped by this node (member list and serf kinds): counts per kind and the rate-limited log.</summary>
    public Gossip.Diagnostics.MalformedInputReporter MalformedInput => _gossip.MalformedInput;

    /// <summary>Cluster-wide key rotation through serf's internal queries.</summary>
    public KeyManager Keys => _keys ??= new KeyManager(this);

    private KeyManager? _keys;

    /// <summary>Node name.</summary>
    public string Name => Options.NodeName;

    /// <summary>The member list underneath.</summary>
    public GossipNode Gossip => _gossip;

    /// <summary>Gossip endpoint (UDP + TCP).</summary>
    public IPEndPoint LocalEndPoint => _gossip.LocalEndPoint;

    private Channel<SerfEvent>? _coalesced;

    /// <summary>Member, user and query events (after local coalescing when it is configured).</summary>
    public ChannelReader<SerfEvent> Events => _coalesced?.Reader ?? _core.Events;

    /// <summary>Events as an async stream.</summary>
    public async IAsyncEnumerable<SerfEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in Events.ReadAllAsync(cancellationToken).ConfigureAwait(false)) { yield return e; }
    }

    /// <summary>
    /// Raised after each member event (join, leave, failure, tag update, reap), for any number of subscribers and
    /// independently of <see cref="Events"/>, which has a single reader. Handlers run on the thread pool, never
    /// under the node's lock; they should be quick, and the order of two close events is not guaranteed, so read
    /// <see cref="Members"/> for the current state rather than replaying events.
    /// </summary>
    public event Action<MemberEventRecord>? MemberChanged
    {
        add
        {
            lock (_memberChangedGate)
            {
                _memberChanged += value;
                lock (_gossip.StateLock) { _core.MemberObserver ??= DispatchMemberChanged; }
            }
        }
        remove
        {
            lock (_memberChangedGate) { _memberChanged -= value; }
        }
    }

    private readonly Lock _memberChangedGate = new();
    private Action<MemberEventRecord>? _memberChanged;

    private void DispatchMemberChanged(MemberEventRecord e)
    {
        if (Volatile.Read(ref _memberChanged) is not { } handlers) return;
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Node.RunMemberHandlers(state.Handlers, state.Event), (Node: this, Handlers: handlers, Event: e), preferLocal: false);
    }

    private void RunMemberHandlers(Action<MemberEventRecord> handlers, MemberEventRecord e)
    {
        try
        {
            handlers(e);
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not take the process down from a thread-pool item.
            SerfLog.MemberHandlerFailed(_log, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>All members known (alive, leaving, left and failed until reaped).</summary>
    public IReadOnlyList<Member> Members() { lock (_gossip.StateLock) { return _core.Members(); } }

    /// <summary>One member by name.</summary>
    public Member? Member(string name) { lock (_gossip.StateLock) { return _core.Find(name); } }

    /// <summary>Current Lamport times (member, event, query).</summary>
    public (ulong Member, ulong Event, ulong Query) Clocks
    {
        get { lock (_gossip.StateLock) { return (_core.Clock.Time, _core.EventClock.Time, _core.QueryClock.Time); } }
    }

    private Snapshotter? _snapshot;
    private SnapshotState? _previous;
    private int _disposed;

    /// <summary>Starts gossip and the reap/reconnect loops; with a snapshot, restores clocks and rejoins the previous members.</summary>
    public void Start()
    {
        if (Options.SnapshotPath is { } path)
        {
            _previous = Snapshotter.Replay(path, Options.RejoinAfterLeave);
            _snapshot = new Snapshotter(path, _previous);
            lock (_gossip.StateLock)
            {
                _core.RestoreClocks(_previous.Clock, _previous.EventClock, _previous.QueryClock);
                _core.Observer = _snapshot.Record;
            }
            _loops.Add(Task.Run(SnapshotLoopAsync));
        }
        if (Options.CoalescePeriod > TimeSpan.Zero || Options.UserCoalescePeriod > TimeSpan.Zero)
        {
            _coalesced = Channel.CreateUnbounded<SerfEvent>();
            var coalescer = new Coalescer(_core.Events, _coalesced.Writer, Options);
            _loops.Add(Task.Run(() => coalescer.RunAsync(_cts.Token)));
        }
        _gossip.Start();
        _loops.Add(Task.Run(ReapLoopAsync));
        _loops.Add(Task.Run(ReconnectLoopAsync));
        if (_previous is { AliveNodes.Count: > 0 } prev)
        {
            _loops.Add(Task.Run(() => RejoinFromSnapshotAsync(prev)));
        }
    }

    /// <summary>Members remembered by the snapshot at start-up (empty without a snapshot).</summary>
    public IReadOnlyDictionary<string, IPEndPoint> SnapshotMembers => _previous?.AliveNodes ?? new Dictionary<string, IPEndPoint>();

    /// <summary>Joins through the given addresses; then gossips a join intent. Returns the number of seeds that answered.</summary>
    public async Task<int> JoinAsync(IEnumerable<IPEndPoint> seeds, bool ignoreOldEvents = true, CancellationToken cancellationToken = default)
    {
        lock (_gossip.StateLock) { _core.BeginJoin(ignoreOldEvents); }
        try
        {
            var n = await _gossip.JoinAsync(seeds, cancellationToken).ConfigureAwait(false);
            lock (_gossip.StateLock) { _core.BroadcastJoinIntent(_core.Clock.Time); }
            return n;
        }
        finally
        {
            lock (_gossip.StateLock) { _core.EndJoin(); }
        }
    }

    /// <summary>
    /// Joins through addresses given as <c>host[:port]</c> (IPs or names; port default 7946). Each address is resolved
    /// with <see cref="SerfOptions.AddressResolver"/> on this call, never from an earlier answer, so calling again after a
    /// failure (retry-join, rejoin) reaches a seed whose name now points elsewhere.
    /// </summary>
    /// <returns>The number of endpoints that answered.</returns>
    /// <exception cref="AggregateException">No address resolved to an endpoint that answered; one inner error per failure.</exception>
    public async Task<int> JoinAsync(IEnumerable<string> addresses, bool ignoreOldEvents = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var seeds = new List<IPEndPoint>();
        var errors = new List<Exception>();
        foreach (var address in addresses)
        {
            try
            {
                seeds.AddRange(await Options.AddressResolver.ResolveAsync(address, DefaultGossipPort, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is FormatException or System.Net.Sockets.SocketException)
            {
                errors.Add(new FormatException($"Failed to resolve {address}: {e.Message}", e));
            }
        }
        if (seeds.Count == 0) { throw new AggregateException("join failed: no address resolved", errors); }
        try
        {
            return await JoinAsync(seeds, ignoreOldEvents, cancellationToken).ConfigureAwait(false);
        }
        catch (AggregateException e)
        {
            throw new AggregateException("join failed", errors.Concat(e.InnerExceptions));
        }
    }

    /// <summary>Gossip port assumed for a join address without one (7946, serf's).</summary>
    public const int DefaultGossipPort = 7946;

    /// <summary>Sends a user event to the cluster.</summary>
    public void UserEvent(string name, byte[] payload, bool coalesce = true)
    {
        lock (_gossip.StateLock) { _core.UserEvent(name, payload, coalesce); }
    }

    /// <summary>Starts a query; read acks/responses from the result until it closes.</summary>
    public QueryResponse Query(string name, byte[] payload, QueryParams? parameters = null)
    {
        lock (_gossip.StateLock) { return _core.Query(name, payload, parameters ?? new QueryParams()); }
    }

    /// <summary>Replaces the tags and re-announces them (peers see a member-update).</summary>
    public async Task SetTagsAsync(IReadOnlyDictionary<string, string> tags)
    {
        var copy = new Dictionary<string, string>(tags, StringComparer.Ordinal);
        var size = Wire.SerfCodec.EncodeTags(copy).Length;
        if (size > MemberlistOptions.MetaMaxSize) { throw new TagsTooLargeException(size, MemberlistOptions.MetaMaxSize); }
        lock (_gossip.StateLock) { _core.Tags = copy; }
        await _gossip.UpdateMetaAsync(Options.BroadcastTimeout).ConfigureAwait(false);
    }

    /// <summary>Removes a failed member (marks it left; with prune erases it).</summary>
    public void ForceLeave(string node, bool prune = false)
    {
        lock (_gossip.StateLock) { _core.ForceLeave(node, prune); }
    }

    /// <summary>
    /// Graceful leave in serf's order: leave intent (wait until sent), then memberlist dead(self), then a short
    /// propagation delay. Peers show this node as "left", not "failed".
    /// </summary>
    public async Task LeaveAsync()
    {
        _snapshot?.RecordLeave();
        var intentSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gossip.StateLock) { _core.BroadcastLeaveIntent(() => intentSent.TrySetResult()); }
        await Task.WhenAny(intentSent.Task, Task.Delay(Options.BroadcastTimeout)).ConfigureAwait(false);
        await _gossip.LeaveAsync(Options.BroadcastTimeout).ConfigureAwait(false);
        await Task.Delay(Options.LeavePropagateDelay).ConfigureAwait(false);
    }

    /// <summary>Stops without leaving (peers will detect a failure); call <see cref="LeaveAsync"/> first to leave.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) { return; }
        if (!_cts.IsCancellationRequested) { await _cts.CancelAsync().ConfigureAwait(false); }
        await _gossip.DisposeAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_loops).ConfigureAwait(false); } catch (Exception) { }
        lock (_gossip.StateLock)
        {
            _snapshot?.UpdateClock(_core.Clock.Time);
            _core.Complete();
        }
        if (_snapshot is not null) { await _snapshot.DisposeAsync().ConfigureAwait(false); }
        _cts.Dispose();
    }
}
