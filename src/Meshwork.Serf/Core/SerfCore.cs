using System.Threading.Channels;
using Meshwork.Gossip;
using Meshwork.Serf.Wire;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf;

/// <summary>
/// Serf state machine on top of the member list: it is the member list's delegate and runs under the same lock.
/// </summary>
/// <remarks>
/// Uses only the public surface of <see cref="GossipNode"/>. Every entry point runs with
/// <see cref="GossipNode.StateLock"/> held: the delegate callbacks because the node calls them under it, timer
/// callbacks because <see cref="GossipNode.Clock"/> runs them under it, and <see cref="SerfNode"/> takes it around
/// every other call. Serf deliberately has no lock of its own: it calls into the node (send, member counts, timers)
/// while the node calls into it, and two locks taken in opposite orders would deadlock (see docs/gossip.md).
/// </remarks>
internal sealed partial class SerfCore : IGossipDelegate, IMemberEventDelegate
{
    private readonly GossipNode _ml;
    // Query ids and relay choices; used under the state lock only (Random is not thread-safe).
    private readonly Random _random = new();
    private readonly ILogger _log;
    private readonly Channel<SerfEvent> _events;
    private readonly Dictionary<string, MemberInfo> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Intent> _recentIntents = new(StringComparer.Ordinal);
    private readonly TransmitLimitedQueue _intentQueue;
    private readonly TransmitLimitedQueue _eventQueue;
    private readonly TransmitLimitedQueue _queryQueue;

    public SerfCore(SerfOptions options, GossipNode memberlist, ILogger log)
    {
        Options = options;
        _events = Channel.CreateBounded<SerfEvent>(new BoundedChannelOptions(Math.Max(1, options.EventChannelCapacity))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        _ml = memberlist;
        _log = log;
        Tags = new Dictionary<string, string>(options.Tags, StringComparer.Ordinal);
        var mult = options.Memberlist.RetransmitMult;
        _intentQueue = new TransmitLimitedQueue(mult, () => _ml.KnownNodeCount);
        _eventQueue = new TransmitLimitedQueue(mult, () => _ml.KnownNodeCount);
        _queryQueue = new TransmitLimitedQueue(mult, () => _ml.KnownNodeCount);
        _eventBuffer = new EventSlot?[options.EventBuffer];
        _queryBuffer = new QuerySlot?[options.QueryBuffer];
        Clock.Increment();
        EventClock.Increment();
        QueryClock.Increment();
    }

    public SerfOptions Options { get; }

    public LamportClock Clock { get; } = new();

    public LamportClock EventClock { get; } = new();

    public LamportClock QueryClock { get; } = new();

    public Dictionary<string, string> Tags { get; set; }

    public bool Leaving { get; set; }

    public ChannelReader<SerfEvent> Events => _events.Reader;

    public string Name => _ml.Options.Name;

    private TimeSpan Now => _ml.Clock.Now;

    /// <summary>Sees every event before it is published (used by the snapshotter; called under the lock).</summary>
    public Action<SerfEvent>? Observer { get; set; }

    /// <summary>Sees every member event (called under the lock, so it must only hand the event on).</summary>
    public Action<MemberEventRecord>? MemberObserver { get; set; }

    private void Emit(SerfEvent e)
    {
        Observer?.Invoke(e);
        if (e is MemberEventRecord member) MemberObserver?.Invoke(member);
        _events.Writer.TryWrite(e);
    }

    public void Complete() => _events.Writer.TryComplete();

    public void EmitConflict(NameConflictRecord record) => Emit(record);

    // ------------------------------------------------------------ IGossipDelegate

    public byte[] NodeMeta(int limit)
    {
        var meta = SerfCodec.EncodeTags(Tags);
        if (meta.Length > limit)
        {
            throw new TagsTooLargeException(meta.Length, limit);
        }
        return meta;
    }

    public void NotifyMessage(ReadOnlySpan<byte> message)
    {
        if (message.Length == 0) { return; }
        var body = message[1..];
        var rebroadcast = false;
        TransmitLimitedQueue? queue = null;
        switch ((SerfMessageType)message[0])
        {
            case SerfMessageType.Leave:
                if (!TryDecode(body, LeaveMessage.Read, SerfInvariants.CheckLeave, out var leave)) { return; }
                rebroadcast = HandleLeaveIntent(leave);
                queue = _intentQueue;
                break;
            case SerfMessageType.Join:
                if (!TryDecode(body, JoinMessage.Read, SerfInvariants.CheckJoin, out var join)) { return; }
                rebroadcast = HandleJoinIntent(join);
                queue = _intentQueue;
                break;
            case SerfMessageType.UserEvent:
                if (!TryDecode(body, UserEventMessage.Read, SerfInvariants.CheckUserEvent, out var userEvent)) { return; }
                rebroadcast = HandleUserEvent(userEvent);
                queue = _eventQueue;
                break;
            case SerfMessageType.Query:
                if (!TryDecode(body, QueryMessage.Read, SerfInvariants.CheckQuery, out var query)) { return; }
                rebroadcast = HandleQuery(query);
                queue = _queryQueue;
                break;
            case SerfMessageType.QueryResponse:
                if (!TryDecode(body, QueryResponseMessage.Read, SerfInvariants.CheckQueryResponse, out var response)) { return; }
                HandleQueryResponse(response);
                break;
            case SerfMessageType.Relay:
                HandleRelay(body);
                break;
            default:
                Report(new(SerfMalformedInputKinds.UnknownType, $"serf message type {message[0]}"));
                break;
        }
        if (rebroadcast && queue is not null) { Enqueue(queue, message.ToArray()); }
    }

    /// <summary>Serf's queue depth guard: beyond MaxQueueDepth the oldest broadcasts are dropped.</summary>
    private void Enqueue(TransmitLimitedQueue queue, byte[] message, Action? finished = null)
    {
        queue.Enqueue(message, finished: finished);
        if (queue.Count > Options.MaxQueueDepth) { queue.PruneOldest(Options.MaxQueueDepth); }
    }

    public IReadOnlyList<byte[]> GetBroadcasts(int overhead, int limit)
    {
        var result = _intentQueue.GetBroadcasts(overhead, limit);
        var used = result.Sum(m => m.Length + overhead);
        var q = _queryQueue.GetBroadcasts(overhead, limit - used);
        used += q.Sum(m => m.Length + overhead);
        result.AddRange(q);
        result.AddRange(_eventQueue.GetBroadcasts(overhead, limit - used));
        return result;
    }

    public byte[] LocalState(bool join)
    {
        var status = _members.Values.ToDictionary(m => m.Name, m => m.StatusLTime, StringComparer.Ordinal);
        var left = _members.Values.Where(m => m.Status == MemberStatus.Left).Select(m => m.Name).ToList();
        var events = _eventBuffer.Where(s => s is not null)
            .Select(s => new UserEventsSlot(s!.LTime, s.Events.Select(e => (e.Name, e.Payload)).ToList())).ToList();
        var pp = new PushPullMessage(Clock.Time, status, left, EventClock.Time, events, QueryClock.Time);
        return SerfCodec.Encode(SerfMessageType.PushPull, pp.Write);
    }

    public void MergeRemoteState(ReadOnlySpan<byte> state, bool join)
    {
        if (state.Length == 0 || state[0] != (byte)SerfMessageType.PushPull) { return; }
        if (!TryDecode(state[1..], PushPullMessage.Read, SerfInvariants.CheckPushPull, out var pp)) { return; }
        if (pp.LTime > 0) { Clock.Witness(pp.LTime - 1); }
        if (pp.EventLTime > 0) { EventClock.Witness(pp.EventLTime - 1); }
        if (pp.QueryLTime > 0) { QueryClock.Witness(pp.QueryLTime - 1); }
        var leftSet = new HashSet<string>(pp.LeftMembers, StringComparer.Ordinal);
        foreach (var name in pp.LeftMembers)
        {
            HandleLeaveIntent(new LeaveMessage(pp.StatusLTimes.GetValueOrDefault(name) + 1, name, false));
        }
        foreach (var (name, lt) in pp.StatusLTimes)
        {
            if (!leftSet.Contains(name)) { HandleJoinIntent(new JoinMessage(lt, name)); }
        }
        if (join && Options.IgnoreOldEventsOnJoin && _eventJoinIgnore && pp.EventLTime > _eventMinTime)
        {
            _eventMinTime = pp.EventLTime;
        }
        foreach (var slot in pp.Events)
        {
            foreach (var (name, payload) in slot.Events)
            {
                HandleUserEvent(new UserEventMessage(slot.LTime, name, payload, false));
            }
        }
    }

    private bool _eventJoinIgnore;

    /// <summary>Called right before a user-initiated join; old events of the cluster are then ignored.</summary>
    public void BeginJoin(bool ignoreOld) => _eventJoinIgnore = ignoreOld;

    public void EndJoin() => _eventJoinIgnore = false;
}

/// <summary>Thrown when the encoded tags exceed the 512-byte node meta limit.</summary>
public sealed class TagsTooLargeException(int size, int limit)
    : ArgumentException($"Encoded length of tags exceeds limit of {limit} bytes (got {size} bytes)");
