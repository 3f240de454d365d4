using System.Net;

namespace Meshwork.Gossip.Simulation;

/// <summary>
/// N member lists on an in-memory network with virtual time: latency, loss, partitions, crashed and slow nodes.
/// Single-threaded and seeded, so a run replays exactly.
/// </summary>
public sealed class SimulatedCluster
{
    private readonly Random _net;
    private readonly Dictionary<long, SimNode> _byAddress = [];
    private readonly List<SimNode> _nodes = [];

    public SimulatedCluster(SimulationOptions options)
    {
        Options = options;
        _net = new Random(options.Seed);
        var slowCount = (int)Math.Round(options.Nodes * options.SlowFraction);
        for (var i = 0; i < options.Nodes; i++)
        {
            var name = $"node-{i:D5}";
            var mo = options.Profile(name);
            if (!options.Lifeguard)
            {
                mo.AwarenessMaxMultiplier = 1;
                mo.SuspicionMaxTimeoutMult = 1;
                mo.EnableNacks = false;
            }
            var ep = new IPEndPoint(new IPAddress(new byte[] { 10, (byte)(i >> 16), (byte)(i >> 8), (byte)i }), 7946);
            var node = new SimNode(this, i, name, ep, mo, new Random(DeriveSeed(options.Seed, i, 1)));
            _nodes.Add(node);
            _byAddress[Key(ep)] = node;
        }
        // Slow nodes are picked deterministically from the seed.
        foreach (var i in Enumerable.Range(0, options.Nodes).OrderBy(_ => _net.Next()).Take(slowCount)) { _nodes[i].Slow = true; }
    }

    public SimulationOptions Options { get; }

    public VirtualScheduler Scheduler { get; } = new();

    public IReadOnlyList<SimNode> Nodes => _nodes;

    public TimeSpan Now => Scheduler.Now;

    /// <summary>Called for every membership change any node observes: (observer, event).</summary>
    public event Action<SimNode, MemberEvent>? MemberEventObserved;

    /// <summary>Total datagram bytes handed to the network.</summary>
    public long BytesSent => _nodes.Sum(n => n.Machine.BytesSent);

    /// <summary>
    /// Stable per-node seeds (System.HashCode is randomized per process, so it must not be used here: runs have to
    /// replay across processes).
    /// </summary>
    internal static int DeriveSeed(int seed, int index, int stream)
    {
        unchecked
        {
            var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)index * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)stream * 0x94D049BB133111EBUL;
            x ^= x >> 31;
            x *= 0xD6E8FEB86659FD93UL;
            x ^= x >> 32;
            return (int)(x & 0x7FFFFFFF);
        }
    }

    private static long Key(IPEndPoint ep) => ((long)BitConverter.ToUInt32(ep.Address.GetAddressBytes()) << 16) | (uint)ep.Port;

    internal void Observe(SimNode observer, MemberEvent e) => MemberEventObserved?.Invoke(observer, e);

    /// <summary>Starts nodes [0, count) already knowing each other (no join traffic), like a settled cluster.</summary>
    public void Bootstrap(int count)
    {
        var members = _nodes.Take(count).Select(n => (n.Name, n.EndPoint)).ToList();
        foreach (var n in _nodes.Take(count))
        {
            n.Start();
            n.Machine.SeedMembers(members, []);
        }
    }

    /// <summary>Starts a node and joins it through <paramref name="seed"/> with a push/pull.</summary>
    public void Join(SimNode node, SimNode seed)
    {
        if (!node.Started) { node.Start(); }
        PushPull(node, seed.EndPoint, join: true);
    }

    public void RunFor(TimeSpan duration, Func<bool>? stop = null) => Scheduler.RunUntil(Now + duration, stop);

    /// <summary>Crashes a node: it stops sending, receiving and running timers.</summary>
    public void Crash(SimNode node) => node.Crashed = true;

    /// <summary>Splits the network: nodes only reach nodes of the same group (null = heal).</summary>
    public void Partition(Func<SimNode, int>? group) => _partition = group;

    private Func<SimNode, int>? _partition;

    private bool Reachable(SimNode a, SimNode b) =>
        !a.Crashed && !b.Crashed && (_partition is null || _partition(a) == _partition(b));

    private TimeSpan Delay() => Options.Latency + TimeSpan.FromTicks((long)(_net.NextDouble() * Options.Jitter.Ticks));

    internal void Send(SimNode from, IPEndPoint to, byte[] datagram)
    {
        if (!_byAddress.TryGetValue(Key(to), out var target) || !Reachable(from, target)) { return; }
        if (Options.PacketLoss > 0 && _net.NextDouble() < Options.PacketLoss) { return; }
        var source = from.EndPoint;
        Scheduler.At(Delay(), () => target.Run(() => target.Machine.HandlePacket(source, datagram), packet: true));
    }

    internal void StreamPing(SimNode from, IPEndPoint to, Action<bool> done)
    {
        if (!_byAddress.TryGetValue(Key(to), out var target) || !Reachable(from, target)) { return; }
        Scheduler.At(Delay(), () => target.Run(() =>
        {
            if (Reachable(from, target)) { Scheduler.At(Delay(), () => from.Run(() => done(true), packet: true)); }
        }, packet: true));
    }

    internal void PushPull(SimNode from, IPEndPoint to, bool join)
    {
        if (!_byAddress.TryGetValue(Key(to), out var target) || !Reachable(from, target)) { return; }
        var request = from.Machine.BuildPushPull(join);
        Scheduler.At(Delay(), () => target.Run(() =>
        {
            if (!Reachable(from, target)) { return; }
            var reply = target.Machine.BuildPushPull(join);
            target.Machine.MergeRemote(request);
            Scheduler.At(Delay(), () => from.Run(() => from.Machine.MergeRemote(reply), packet: true));
        }, packet: true));
    }
}

/// <summary>One simulated node: a member list state machine on virtual time.</summary>
public sealed class SimNode : IGossipRuntime, IMemberEventDelegate
{
    private readonly SimulatedCluster _cluster;

    internal SimNode(SimulatedCluster cluster, int index, string name, IPEndPoint endPoint, MemberlistOptions options, Random random)
    {
        _cluster = cluster;
        Index = index;
        Name = name;
        EndPoint = endPoint;
        Random = random;
        Machine = new MemberlistStateMachine(options, this) { EventDelegate = this };
    }

    public int Index { get; }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public bool Slow { get; internal set; }

    public bool Crashed { get; internal set; }

    public bool Started { get; private set; }

    /// <summary>The member list state machine of this node; drive it only from the simulation thread.</summary>
    public MemberlistStateMachine Machine { get; }

    /// <summary>Known members (snapshot).</summary>
    public IReadOnlyList<Node> Members => Machine.Members();

    /// <summary>Lifeguard health score.</summary>
    public int HealthScore => Machine.HealthScore;

    public TimeSpan Now => _cluster.Scheduler.Now;

    public Random Random { get; }

    internal void Start()
    {
        Started = true;
        Machine.Start(EndPoint);
    }

    private Random? _stalls;
    private TimeSpan _freezeStart = TimeSpan.MinValue;
    private TimeSpan _freezeEnd = TimeSpan.MinValue;

    /// <summary>
    /// A slow node alternates between running and being frozen (CPU-starved), each phase lasting a uniform random time
    /// in [0, SlowDelay). Returns the end of the current freeze, or null if the node is running now.
    /// </summary>
    private TimeSpan? FrozenUntil(TimeSpan now)
    {
        if (!Slow || _cluster.Options.SlowModel != SlowNodeModel.Freeze) { return null; }
        _stalls ??= new Random(SimulatedCluster.DeriveSeed(_cluster.Options.Seed, Index, 2));
        var max = _cluster.Options.SlowDelay.Ticks;
        while (now >= _freezeEnd)
        {
            var cycleStart = _freezeEnd == TimeSpan.MinValue ? now : _freezeEnd;
            var run = (_cluster.Options.SlowRunPhase ?? _cluster.Options.SlowDelay).Ticks;
            _freezeStart = cycleStart + TimeSpan.FromTicks((long)(_stalls.NextDouble() * run));
            _freezeEnd = _freezeStart + TimeSpan.FromTicks((long)(_stalls.NextDouble() * max));
        }
        return now >= _freezeStart ? _freezeEnd : null;
    }

    /// <summary>
    /// Runs work on this node, deferring it while the node is frozen. Timers that came due during a freeze run before
    /// the packets that queued up meanwhile (like a starved process whose timeouts fire before it reads its socket).
    /// </summary>
    internal void Run(Action work, bool packet, bool lagged = false)
    {
        if (Crashed) { return; }
        var now = Now;
        if (Slow && _cluster.Options.SlowModel == SlowNodeModel.PacketLag)
        {
            if (packet && !lagged)
            {
                _stalls ??= new Random(SimulatedCluster.DeriveSeed(_cluster.Options.Seed, Index, 2));
                var lag = TimeSpan.FromTicks((long)(_stalls.NextDouble() * _cluster.Options.SlowDelay.Ticks));
                _cluster.Scheduler.At(lag, () => Run(work, packet, lagged: true));
                return;
            }
            work();
            return;
        }
        if (FrozenUntil(now) is { } end)
        {
            var wait = end - now + (packet ? TimeSpan.FromMilliseconds(1) : TimeSpan.Zero);
            _cluster.Scheduler.At(wait, () => Run(work, packet));
            return;
        }
        work();
    }

    public IDisposable Schedule(TimeSpan delay, Action callback) =>
        _cluster.Scheduler.At(delay, () => Run(callback, packet: false));

    public void SendPacket(IPEndPoint to, byte[] datagram) => _cluster.Send(this, to, datagram);

    public void BeginPushPull(IPEndPoint to, bool join) => _cluster.PushPull(this, to, join);

    public void BeginStreamPing(IPEndPoint to, byte[] ping, uint seqNo, TimeSpan timeout, Action<bool> done) =>
        _cluster.StreamPing(this, to, done);

    public void NotifyJoin(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Join, node));

    public void NotifyLeave(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Leave, node));

    public void NotifyUpdate(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Update, node));
}
