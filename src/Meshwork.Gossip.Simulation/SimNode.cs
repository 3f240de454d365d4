using System.Net;

namespace Meshwork.Gossip.Simulation;

/// <summary>
/// One simulated node: a <see cref="MemberlistStateMachine"/> whose runtime (clock, timers, network) is the simulated
/// cluster. It implements the runtime and event interfaces explicitly; drive it through <see cref="SimulatedCluster"/>.
/// </summary>
public sealed class SimNode : IGossipRuntime, IMemberEventDelegate
{
    private readonly SimulatedCluster _cluster;
    private readonly Random _random;

    internal SimNode(SimulatedCluster cluster, int index, string name, IPEndPoint endPoint, MemberlistOptions options, Random random)
    {
        _cluster = cluster;
        Index = index;
        Name = name;
        EndPoint = endPoint;
        _random = random;
        Machine = new MemberlistStateMachine(options, this) { EventDelegate = this };
    }

    /// <summary>Position in <see cref="SimulatedCluster.Nodes"/>.</summary>
    public int Index { get; }

    /// <summary>Node name (<c>node-</c> and the zero-padded index).</summary>
    public string Name { get; }

    /// <summary>Simulated gossip address.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Healthy but slow (see <see cref="SimulationOptions.SlowModel"/>); chosen from the seed.</summary>
    public bool Slow { get; internal set; }

    /// <summary>Crashed by <see cref="SimulatedCluster.Crash"/>: sends, receives and runs nothing any more.</summary>
    public bool Crashed { get; internal set; }

    /// <summary>Whether the node's state machine was started (by bootstrap or join).</summary>
    public bool Started { get; private set; }

    /// <summary>The member list state machine of this node; drive it only from the simulation thread.</summary>
    public MemberlistStateMachine Machine { get; }

    /// <summary>Known members (snapshot).</summary>
    public IReadOnlyList<Node> Members => Machine.Members();

    /// <summary>Lifeguard health score.</summary>
    public int HealthScore => Machine.HealthScore;

    TimeSpan IGossipClock.Now => _cluster.Scheduler.Now;

    Random IGossipRuntime.Random => _random;

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
        var now = _cluster.Scheduler.Now;
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

    IDisposable IGossipClock.Schedule(TimeSpan delay, Action callback) =>
        _cluster.Scheduler.At(delay, () => Run(callback, packet: false));

    void IGossipRuntime.SendPacket(IPEndPoint to, byte[] datagram) => _cluster.Send(this, to, datagram);

    void IGossipRuntime.BeginPushPull(IPEndPoint to, bool join) => _cluster.PushPull(this, to, join);

    void IGossipRuntime.BeginStreamPing(IPEndPoint to, byte[] ping, uint seqNo, TimeSpan timeout, Action<bool> done) =>
        _cluster.StreamPing(this, to, done);

    void IMemberEventDelegate.NotifyJoin(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Join, node));

    void IMemberEventDelegate.NotifyLeave(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Leave, node));

    void IMemberEventDelegate.NotifyUpdate(Node node) => _cluster.Observe(this, new MemberEvent(MemberEventKind.Update, node));
}
