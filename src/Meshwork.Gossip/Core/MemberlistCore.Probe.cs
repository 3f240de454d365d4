using System.Net;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

internal sealed partial class MemberlistCore
{
    private void ScheduleProbe(TimeSpan delay) => After(delay, ProbeTick);

    /// <summary>Round-robin over the shuffled node list; on wrap-around dead nodes are reaped and the list reshuffled.</summary>
    private void ProbeTick()
    {
        NodeState? target = null;
        for (var checkedCount = 0; checkedCount <= _nodes.Count; checkedCount++)
        {
            if (_probeIndex >= _nodes.Count)
            {
                ResetNodes();
                _probeIndex = 0;
                if (_nodes.Count == 0) { break; }
            }
            var candidate = _nodes[_probeIndex++];
            if (candidate.Name == Name || candidate.DeadOrLeft) { continue; }
            target = candidate;
            break;
        }
        if (target is null) { ScheduleProbe(Options.ProbeInterval); return; }
        ProbeNode(target);
    }

    private void ResetNodes()
    {
        var now = _rt.Now;
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            var n = _nodes[i];
            if (n.DeadOrLeft && now - n.StateChange > Options.GossipToTheDeadTime && n.Name != Name)
            {
                _nodes.RemoveAt(i);
                _nodeMap.Remove(n.Name);
            }
        }
        Shuffle(_nodes);
    }

    private void Shuffle(List<NodeState> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _rt.Random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private void ProbeNode(NodeState node)
    {
        var seq = NextSeq();
        Interlocked.Increment(ref Statistics.ProbesValue);
        var sent = _rt.Now;
        var interval = Awareness.Scale(Options.ProbeInterval);
        var expectedNacks = 0;
        var nacks = 0;
        var done = false;
        var tcpContact = false;
        var handler = new AckHandler();
        IDisposable? indirectTimer = null;

        handler.OnAck = (payload, at) =>
        {
            if (done) { return; }
            done = true;
            _ackHandlers.Remove(seq);
            handler.Cancel();
            indirectTimer?.Dispose();
            Awareness.ApplyDelta(-1);
            PingDelegate?.NotifyPingComplete(node.ToNode(), at - sent, payload ?? []);
            var next = sent + Options.ProbeInterval - _rt.Now;
            ScheduleProbe(next > TimeSpan.Zero ? next : TimeSpan.Zero);
        };
        handler.OnNack = () => nacks++;
        handler.Timer = After(interval, () =>
        {
            if (done) { return; }
            done = true;
            _ackHandlers.Remove(seq);
            if (tcpContact)
            {
                GossipLog.TcpOnly(_log, node.Name);
                ScheduleProbe(TimeSpan.Zero);
                return;
            }
            var delta = expectedNacks > 0 ? Math.Max(0, expectedNacks - nacks) : 1;
            Awareness.ApplyDelta(delta);
            Interlocked.Increment(ref Statistics.ProbesFailedValue);
            GossipLog.ProbeFailed(_log, node.Name);
            HandleSuspect(new AccusationMessage(node.Incarnation, node.Name, Name));
            ScheduleProbe(TimeSpan.Zero);
        });
        _ackHandlers[seq] = handler;

        var ping = PacketCodec.Encode(new PingMessage(seq, node.Name, AdvertiseAddr, AdvertisePort, Name));
        if (node.State == NodeStatus.Alive)
        {
            SendDirect(node.EndPoint, ping);
        }
        else
        {
            // Buddy mechanism: tell a suspect node that it is suspected so it can refute at once.
            var suspect = PacketCodec.EncodeSuspect(new AccusationMessage(node.Incarnation, node.Name, Name));
            SendRaw(node.EndPoint, PacketCodec.Compound([ping, suspect]), crc: node.PMax >= 5);
        }

        indirectTimer = After(Options.ProbeTimeout, () =>
        {
            if (done) { return; }
            var peers = RandomNodes(Options.IndirectChecks, n => n.Name != node.Name && n.State == NodeStatus.Alive);
            foreach (var peer in peers)
            {
                var wantNack = Options.EnableNacks && peer.PMax >= 4;
                if (wantNack) { expectedNacks++; }
                var req = new IndirectPingMessage(seq, node.Addr, node.Port, node.Name, wantNack, AdvertiseAddr, AdvertisePort, Name);
                SendDirect(peer.EndPoint, PacketCodec.Encode(req));
            }
            if (!Options.DisableTcpPings && node.PMax >= 3)
            {
                var remaining = sent + interval - _rt.Now;
                if (remaining > TimeSpan.Zero)
                {
                    _rt.BeginStreamPing(node.EndPoint, ping, seq, remaining, ok => tcpContact |= ok);
                }
            }
        });
    }

    /// <summary>Up to <paramref name="k"/> distinct random nodes other than ourselves matching <paramref name="filter"/>.</summary>
    private List<NodeState> RandomNodes(int k, Func<NodeState, bool> filter)
    {
        var result = new List<NodeState>(k);
        var n = _nodes.Count;
        for (var i = 0; i < 3 * n && result.Count < k; i++)
        {
            var candidate = _nodes[_rt.Random.Next(n)];
            if (candidate.Name == Name || !filter(candidate) || result.Contains(candidate)) { continue; }
            result.Add(candidate);
        }
        return result;
    }

    // ---------------------------------------------------------------- gossip

    private void ScheduleGossip(TimeSpan delay) => After(delay, GossipTick);

    private void GossipTick()
    {
        ScheduleGossip(Options.GossipInterval);
        var now = _rt.Now;
        var targets = RandomNodes(Options.GossipNodes, n => n.State is NodeStatus.Alive or NodeStatus.Suspect
            || now - n.StateChange <= Options.GossipToTheDeadTime);
        foreach (var node in targets)
        {
            var msgs = CollectBroadcasts(2, Options.UdpBufferSize - 2 - EncryptionOverhead);
            if (msgs.Count == 0) { return; }
            SendRaw(node.EndPoint, PacketCodec.Pack(msgs), crc: node.PMax >= 5);
        }
    }

    // ---------------------------------------------------------------- push/pull

    private void SchedulePushPull(TimeSpan delay) => After(delay, PushPullTick);

    /// <summary>memberlist scales the push/pull interval once the cluster is bigger than 32 nodes.</summary>
    internal static TimeSpan PushPullScale(TimeSpan interval, int n)
    {
        if (n <= 32) { return interval; }
        var multiplier = Math.Ceiling(Math.Log2(n) - Math.Log2(32)) + 1.0;
        return interval * multiplier;
    }

    private void PushPullTick()
    {
        SchedulePushPull(PushPullScale(Options.PushPullInterval, _nodes.Count));
        var peers = RandomNodes(1, n => n.State == NodeStatus.Alive);
        if (peers.Count == 1) { _rt.BeginPushPull(peers[0].EndPoint, join: false); }
    }

    /// <summary>Sends a ping to an arbitrary address (used by tests and TCP-less runtimes).</summary>
    internal uint SendPing(IPEndPoint to, string node, Action<byte[]?, TimeSpan> onAck)
    {
        var seq = NextSeq();
        var handler = new AckHandler { OnAck = onAck };
        handler.Timer = After(Options.ProbeInterval, () => _ackHandlers.Remove(seq));
        _ackHandlers[seq] = handler;
        SendDirect(to, PacketCodec.Encode(new PingMessage(seq, node, AdvertiseAddr, AdvertisePort, Name)));
        return seq;
    }
}
