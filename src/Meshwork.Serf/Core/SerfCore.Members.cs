using System.Net;
using Meshwork.Gossip;
using Meshwork.Serf.Wire;

namespace Meshwork.Serf;

internal sealed partial class SerfCore
{
    private sealed class MemberInfo
    {
        public required string Name { get; init; }
        public IPAddress Address { get; set; } = IPAddress.None;
        public int Port { get; set; }
        public Dictionary<string, string> Tags { get; set; } = [];
        public MemberStatus Status { get; set; }
        public ulong StatusLTime { get; set; }
        public TimeSpan LeaveTime { get; set; }
        public byte[] Vsn { get; set; } = [];

        public Member ToMember() => new(Name, Address, Port, Tags, Status,
            V(0), V(1), V(2), V(3), V(4), V(5));

        private byte V(int i) => Vsn.Length == 6 ? Vsn[i] : (byte)0;
    }

    private sealed record Intent(SerfMessageType Type, ulong LTime, TimeSpan WhenSeen);

    public IReadOnlyList<Member> Members() => _members.Values.Select(m => m.ToMember()).ToList();

    public Member? Find(string name) => _members.GetValueOrDefault(name)?.ToMember();

    public int NumAliveMembers() => _members.Values.Count(m => m.Status == MemberStatus.Alive);

    public void NotifyJoin(Node node)
    {
        if (!_members.TryGetValue(node.Name, out var m))
        {
            m = new MemberInfo { Name = node.Name, Status = MemberStatus.Alive };
            if (_recentIntents.Remove(node.Name, out var intent))
            {
                m.StatusLTime = intent.LTime;
                if (intent.Type == SerfMessageType.Leave) { m.Status = MemberStatus.Leaving; }
            }
            _members[node.Name] = m;
        }
        else
        {
            m.Status = MemberStatus.Alive;
            m.LeaveTime = TimeSpan.Zero;
        }
        m.Address = node.Address;
        m.Port = node.Port;
        m.Tags = SafeTags(node.Meta);
        m.Vsn = node.Vsn;
        Emit(new MemberEventRecord(MemberEventType.Join, m.ToMember()));
    }

    public void NotifyLeave(Node node)
    {
        if (!_members.TryGetValue(node.Name, out var m)) { return; }
        MemberEventType type;
        switch (m.Status)
        {
            case MemberStatus.Leaving:
                m.Status = MemberStatus.Left;
                type = MemberEventType.Leave;
                break;
            case MemberStatus.Alive:
                m.Status = MemberStatus.Failed;
                type = MemberEventType.Failed;
                break;
            default:
                return;
        }
        m.LeaveTime = Now;
        Emit(new MemberEventRecord(type, m.ToMember()));
    }

    public void NotifyUpdate(Node node)
    {
        if (!_members.TryGetValue(node.Name, out var m)) { return; }
        m.Address = node.Address;
        m.Port = node.Port;
        m.Tags = SafeTags(node.Meta);
        m.Vsn = node.Vsn;
        Emit(new MemberEventRecord(MemberEventType.Update, m.ToMember()));
    }

    private Dictionary<string, string> SafeTags(byte[] meta)
    {
        try { return SerfCodec.DecodeTags(meta); }
        catch (Exception e) when (e is Gossip.Wire.WireFormatException or OverflowException)
        {
            Report(new(SerfMalformedInputKinds.Undecodable, $"tags in node meta: {e.Message}"));
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
    }

    private void UpsertIntent(string node, SerfMessageType type, ulong ltime)
    {
        if (!_recentIntents.TryGetValue(node, out var existing) || ltime > existing.LTime)
        {
            _recentIntents[node] = new Intent(type, ltime, Now);
        }
    }

    internal bool HandleJoinIntent(JoinMessage j)
    {
        Clock.Witness(j.LTime);
        if (!_members.TryGetValue(j.Node, out var m))
        {
            var isNew = !_recentIntents.TryGetValue(j.Node, out var known) || j.LTime > known.LTime;
            UpsertIntent(j.Node, SerfMessageType.Join, j.LTime);
            return isNew;
        }
        if (j.LTime <= m.StatusLTime) { return false; }
        m.StatusLTime = j.LTime;
        if (m.Status == MemberStatus.Leaving) { m.Status = MemberStatus.Alive; }
        return true;
    }

    internal bool HandleLeaveIntent(LeaveMessage l)
    {
        Clock.Witness(l.LTime);
        if (!_members.TryGetValue(l.Node, out var m))
        {
            var isNew = !_recentIntents.TryGetValue(l.Node, out var known) || l.LTime > known.LTime;
            UpsertIntent(l.Node, SerfMessageType.Leave, l.LTime);
            return isNew;
        }
        if (l.LTime <= m.StatusLTime) { return false; }
        if (l.Node == Name && !Leaving)
        {
            // Someone says we are leaving while we are not: refute with a fresh join intent.
            BroadcastJoinIntent(Clock.Time);
            return false;
        }
        switch (m.Status)
        {
            case MemberStatus.Alive:
                m.Status = MemberStatus.Leaving;
                m.StatusLTime = l.LTime;
                if (l.Prune) { /* pruning applies once the member is left */ }
                return true;
            case MemberStatus.Failed:
                m.Status = MemberStatus.Left;
                m.StatusLTime = l.LTime;
                m.LeaveTime = Now;
                Emit(new MemberEventRecord(MemberEventType.Leave, m.ToMember()));
                if (l.Prune) { EraseMember(m); }
                return true;
            case MemberStatus.Leaving or MemberStatus.Left:
                if (l.Prune && m.Status == MemberStatus.Left) { EraseMember(m); }
                m.StatusLTime = l.LTime;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Gossips <c>join{LTime, self}</c> (after a successful join, or to refute a leave).</summary>
    public void BroadcastJoinIntent(ulong ltime)
    {
        var msg = new JoinMessage(ltime, Name);
        Clock.Witness(ltime);
        HandleJoinIntent(msg);
        Enqueue(_intentQueue, SerfCodec.Encode(SerfMessageType.Join, msg.Write));
    }

    /// <summary>Starts a graceful leave: gossips the leave intent; <paramref name="done"/> runs once it was sent.</summary>
    public void BroadcastLeaveIntent(Action done)
    {
        Leaving = true;
        var msg = new LeaveMessage(Clock.Time, Name, false);
        Clock.Increment();
        HandleLeaveIntent(msg);
        if (_ml.AliveNodeCount <= 1) { done(); return; }
        Enqueue(_intentQueue, SerfCodec.Encode(SerfMessageType.Leave, msg.Write), done);
    }

    /// <summary>Force-leave of a failed member (optionally erasing it).</summary>
    public void ForceLeave(string node, bool prune)
    {
        var msg = new LeaveMessage(Clock.Time, node, prune);
        Clock.Increment();
        HandleLeaveIntent(msg);
        Enqueue(_intentQueue, SerfCodec.Encode(SerfMessageType.Leave, msg.Write));
    }

    private void EraseMember(MemberInfo m)
    {
        _members.Remove(m.Name);
        Emit(new MemberEventRecord(MemberEventType.Reap, m.ToMember()));
    }

    /// <summary>Erases failed members past ReconnectTimeout, left ones past TombstoneTimeout, stale intents.</summary>
    public void Reap()
    {
        var now = Now;
        foreach (var m in _members.Values.ToList())
        {
            var limit = m.Status switch
            {
                MemberStatus.Failed => Options.ReconnectTimeout,
                MemberStatus.Left => Options.TombstoneTimeout,
                _ => TimeSpan.MaxValue,
            };
            if (limit != TimeSpan.MaxValue && now - m.LeaveTime > limit) { EraseMember(m); }
        }
        foreach (var (name, intent) in _recentIntents.ToList())
        {
            if (now - intent.WhenSeen > Options.RecentIntentTimeout) { _recentIntents.Remove(name); }
        }
    }

    /// <summary>
    /// The state a reconnect round starts from: every failed member with its attempt history (from
    /// <paramref name="history"/>: attempts since it failed and when the last one was made, on this node's clock).
    /// </summary>
    public ReconnectRound BuildReconnectRound(IReadOnlyDictionary<string, (int Attempts, TimeSpan Last)> history, Random random)
    {
        var now = Now;
        var failed = new List<ReconnectCandidate>();
        var left = 0;
        foreach (var m in _members.Values)
        {
            if (m.Status == MemberStatus.Left) { left++; }
            if (m.Status != MemberStatus.Failed) { continue; }
            var h = history.TryGetValue(m.Name, out var x) ? x : (Attempts: 0, Last: TimeSpan.MinValue);
            failed.Add(new ReconnectCandidate(m.ToMember(), now - m.LeaveTime, h.Attempts, h.Attempts > 0 ? now - h.Last : null));
        }
        return new ReconnectRound(failed, _members.Count, left, random);
    }

    /// <summary>This node's clock (the member list's), for reconnect bookkeeping.</summary>
    public TimeSpan ClockNow => Now;
}
