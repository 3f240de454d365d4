using System.Net;
using System.Threading.Channels;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Gossip;

/// <summary>
/// The member list as a single-threaded state machine (no I/O, no threads of its own): packets go in through
/// <see cref="HandlePacket"/>, timers come from <see cref="IGossipRuntime"/>, datagrams go out through it.
/// Every call must be made while holding <see cref="Gate"/>; runtimes guarantee that for timer callbacks.
/// </summary>
internal sealed partial class MemberlistCore
{
    private readonly IGossipRuntime _rt;
    private readonly ILogger _log;
    private readonly List<NodeState> _nodes = [];
    private readonly Dictionary<string, NodeState> _nodeMap = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Suspicion> _suspicions = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, AckHandler> _ackHandlers = [];
    // Bounded so an application that never reads events cannot grow memory without limit; oldest events go first.
    private readonly Channel<MemberEvent> _events = Channel.CreateBounded<MemberEvent>(
        new BoundedChannelOptions(8192) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly List<IDisposable> _tickers = [];
    private uint _seq;
    private int _probeIndex;
    private bool _leaving;
    private bool _shutdown;

    public MemberlistCore(MemberlistOptions options, IGossipRuntime runtime, ILogger? logger = null)
    {
        Options = options;
        _rt = runtime;
        _log = logger ?? NullLogger.Instance;
        Awareness = new Awareness(options.AwarenessMaxMultiplier);
        Broadcasts = new TransmitLimitedQueue(options.RetransmitMult, () => _nodes.Count);
        Malformed = new MalformedInputReporter(_log, options.MalformedInputLogInterval);
    }

    public Lock Gate { get; } = new();

    public MemberlistOptions Options { get; }

    public Awareness Awareness { get; }

    public TransmitLimitedQueue Broadcasts { get; }

    public IGossipDelegate? Delegate { get; set; }

    public IMemberEventDelegate? EventDelegate { get; set; }

    public IMergeDelegate? MergeDelegate { get; set; }

    public IPingDelegate? PingDelegate { get; set; }

    public IConflictDelegate? ConflictDelegate { get; set; }

    public ChannelReader<MemberEvent> Events => _events.Reader;

    /// <summary>Whether events are written to <see cref="Events"/> (the simulator turns this off and uses the delegate).</summary>
    public bool PublishEvents { get; set; } = true;

    public string Name => Options.Name;

    public byte[] AdvertiseAddr { get; private set; } = [127, 0, 0, 1];

    public ushort AdvertisePort { get; private set; }

    public bool IsShutdown => _shutdown;

    public IGossipRuntime Runtime => _rt;

    public bool IsLeaving => _leaving;

    /// <summary>How many times a suspicion timer of this node expired and it declared the node dead.</summary>
    public long SuspicionTimeouts { get; private set; }

    /// <summary>Bytes handed to the runtime, for bandwidth figures.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Probe, suspicion, refutation and packet totals, for metrics.</summary>
    public Diagnostics.GossipStatistics Statistics { get; } = new();

    public int NumNodes => _nodes.Count;

    public NodeState? LocalState => _nodeMap.GetValueOrDefault(Name);

    public IReadOnlyList<Node> Members() => _nodes.Select(n => n.ToNode()).ToList();

    public int CountInState(NodeStatus state) => _nodes.Count(n => n.State == state);

    public int NumAlive() => _nodes.Count(n => !n.DeadOrLeft);

    public NodeState? Find(string name) => _nodeMap.GetValueOrDefault(name);

    /// <summary>Sets the local node alive and starts probe, gossip and push/pull timers (each staggered randomly).</summary>
    public void Start(IPEndPoint advertise)
    {
        AdvertiseAddr = advertise.Address.IsIPv4MappedToIPv6 ? advertise.Address.MapToIPv4().GetAddressBytes() : advertise.Address.GetAddressBytes();
        AdvertisePort = (ushort)advertise.Port;
        var meta = Delegate?.NodeMeta(MemberlistOptions.MetaMaxSize) ?? [];
        if (meta.Length > MemberlistOptions.MetaMaxSize) { throw new ArgumentException($"node meta is {meta.Length} bytes, the limit is {MemberlistOptions.MetaMaxSize}"); }
        HandleAlive(new AliveMessage(1, Name, AdvertiseAddr, AdvertisePort, meta, Options.Vsn), bootstrap: true);
        ScheduleProbe(Stagger(Options.ProbeInterval));
        ScheduleGossip(Stagger(Options.GossipInterval));
        if (Options.PushPullInterval > TimeSpan.Zero) { SchedulePushPull(Stagger(Options.PushPullInterval)); }
    }

    private TimeSpan Stagger(TimeSpan interval) => TimeSpan.FromTicks((long)(_rt.Random.NextDouble() * interval.Ticks));

    public void Shutdown()
    {
        _shutdown = true;
        foreach (var t in _tickers) { t.Dispose(); }
        _tickers.Clear();
        foreach (var s in _suspicions.Values) { s.Cancel(); }
        _suspicions.Clear();
        foreach (var h in _ackHandlers.Values) { h.Cancel(); }
        _ackHandlers.Clear();
        _events.Writer.TryComplete();
    }

    private void Track(IDisposable timer)
    {
        _tickers.RemoveAll(static t => t is TimerHandle { Fired: true });
        _tickers.Add(timer);
    }

    private IDisposable After(TimeSpan delay, Action action)
    {
        var handle = new TimerHandle();
        handle.Inner = _rt.Schedule(delay, () =>
        {
            handle.Fired = true;
            if (!_shutdown) { action(); }
        });
        Track(handle);
        return handle;
    }

    private sealed class TimerHandle : IDisposable
    {
        public IDisposable? Inner { get; set; }
        public bool Fired { get; set; }
        public void Dispose() { Fired = true; Inner?.Dispose(); }
    }

    // ---------------------------------------------------------------- sending

    /// <summary>Runs the UDP send pipeline: compress (if smaller), CRC (if requested), encrypt.</summary>
    internal void SendRaw(IPEndPoint to, byte[] message, bool crc)
    {
        if (_shutdown) { return; }
        message = Transform(to, message);
        if (Options.EnableCompression && message.Length > 64)
        {
            var compressed = PacketCodec.Compress(message);
            if (compressed.Length < message.Length) { message = compressed; }
        }
        if (crc) { message = PacketCodec.AddCrc(message); }
        if (Options.Keyring is { } ring) { message = PacketEncryption.Encrypt(ring.PrimaryKey, message, []); }
        BytesSent += message.Length;
        Interlocked.Increment(ref Statistics.PacketsSentValue);
        Interlocked.Add(ref Statistics.BytesSentValue, message.Length);
        _rt.SendPacket(to, message);
    }

    private int EncryptionOverhead => Options.Keyring is null ? 0 : PacketEncryption.Overhead;

    /// <summary>Sends a direct message, filling the rest of the datagram with queued broadcasts.</summary>
    internal void SendDirect(IPEndPoint to, byte[] message)
    {
        var budget = Options.UdpBufferSize - message.Length - 2 - EncryptionOverhead;
        var extra = budget > 0 ? CollectBroadcasts(2, budget) : [];
        if (extra.Count == 0) { SendRaw(to, message, crc: false); return; }
        extra.Insert(0, message);
        SendRaw(to, PacketCodec.Compound(extra), crc: false);
    }

    /// <summary>Sends a user (delegate) message directly to an address, unreliably.</summary>
    public void SendUserPacket(IPEndPoint to, ReadOnlySpan<byte> payload) => SendDirect(to, PacketCodec.User(payload));

    /// <summary>Member list broadcasts first, then the delegate's (prefixed with the user type byte).</summary>
    private List<byte[]> CollectBroadcasts(int overhead, int limit)
    {
        var msgs = Broadcasts.GetBroadcasts(overhead, limit);
        var used = msgs.Sum(m => m.Length + overhead);
        if (Delegate is { } d && limit - used > overhead + 1)
        {
            foreach (var m in d.GetBroadcasts(overhead + 1, limit - used))
            {
                if (msgs.Count >= PacketCodec.MaxCompoundParts) { break; }
                msgs.Add(PacketCodec.User(m));
            }
        }
        return msgs;
    }

    private void Broadcast(string node, byte[] message, Action? finished = null) => Broadcasts.Enqueue(message, node, finished);

    // ---------------------------------------------------------------- events

    private void EmitJoin(NodeState n)
    {
        var node = n.ToNode();
        GossipLog.MemberJoined(_log, n.Name, n.EndPoint);
        if (PublishEvents) { _events.Writer.TryWrite(new MemberEvent(MemberEventKind.Join, node)); }
        EventDelegate?.NotifyJoin(node);
    }

    private void EmitLeave(NodeState n)
    {
        var node = n.ToNode();
        GossipLog.MemberDown(_log, n.Name, n.State);
        if (PublishEvents) { _events.Writer.TryWrite(new MemberEvent(MemberEventKind.Leave, node)); }
        EventDelegate?.NotifyLeave(node);
    }

    private void EmitUpdate(NodeState n)
    {
        var node = n.ToNode();
        if (PublishEvents) { _events.Writer.TryWrite(new MemberEvent(MemberEventKind.Update, node)); }
        EventDelegate?.NotifyUpdate(node);
    }
}
