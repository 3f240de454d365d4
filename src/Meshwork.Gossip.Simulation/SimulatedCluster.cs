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

    /// <summary>Creates <see cref="SimulationOptions.Nodes"/> stopped nodes named <c>node-00000</c>… on 10.x.y.z:7946.</summary>
    public SimulatedCluster(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Nodes);
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
            options.ConfigureNode?.Invoke(i, node.Machine);
            _nodes.Add(node);
            _byAddress[Key(ep)] = node;
        }
        // Slow nodes are picked deterministically from the seed.
        foreach (var i in Enumerable.Range(0, options.Nodes).OrderBy(_ => _net.Next()).Take(slowCount)) { _nodes[i].Slow = true; }
    }

    /// <summary>The parameters of this run.</summary>
    public SimulationOptions Options { get; }

    /// <summary>The event queue and virtual clock every node runs on.</summary>
    public VirtualScheduler Scheduler { get; } = new();

    /// <summary>All nodes, by index (started or not, crashed or not).</summary>
    public IReadOnlyList<SimNode> Nodes => _nodes;

    /// <summary>Current virtual time.</summary>
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

    /// <summary>Runs events for <paramref name="duration"/> of virtual time, or until <paramref name="stop"/> (checked after each event) returns true.</summary>
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
