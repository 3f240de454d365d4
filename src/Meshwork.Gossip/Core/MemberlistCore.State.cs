using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

internal sealed partial class MemberlistCore
{
    /// <summary>Applies an alive message (§ state machine of memberlist 0.2.2).</summary>
    internal void HandleAlive(AliveMessage a, bool bootstrap)
    {
        var isLocal = a.Node == Name;
        if (_leaving && isLocal) { return; }
        if (a.Vsn is { Length: >= 3 } v && (v[0] == 0 || v[1] == 0 || v[0] > v[1])) { return; }
        if (a.Addr.Length is not (4 or 16)) { return; }

        var updatesNode = false;
        if (!_nodeMap.TryGetValue(a.Node, out var state))
        {
            state = new NodeState
            {
                Name = a.Node, Addr = a.Addr, Port = a.Port, Meta = a.Meta ?? [], Vsn = a.Vsn ?? [],
                State = NodeStatus.Dead, StateChange = _rt.Now,
            };
            _nodeMap[a.Node] = state;
            // Random position so that new nodes do not all get probed at the same moment.
            var offset = _nodes.Count == 0 ? 0 : _rt.Random.Next(_nodes.Count + 1);
            _nodes.Insert(offset, state);
            if (offset < _probeIndex) { _probeIndex++; }
        }
        else if (!state.Addr.AsSpan().SequenceEqual(a.Addr) || state.Port != a.Port)
        {
            if (state.State == NodeStatus.Left) { updatesNode = true; }
            else
            {
                GossipLog.NameConflict(_log, a.Node, state.EndPoint, new System.Net.IPEndPoint(new System.Net.IPAddress(a.Addr), a.Port));
                ConflictDelegate?.NotifyConflict(state.ToNode(), new Node(a.Node, new System.Net.IPAddress(a.Addr), a.Port, a.Meta ?? [], NodeStatus.Alive, a.Incarnation, a.Vsn ?? []));
                return;
            }
        }

        if (!isLocal && a.Incarnation <= state.Incarnation && !updatesNode) { return; }
        if (isLocal && a.Incarnation < state.Incarnation) { return; }

        if (_suspicions.Remove(a.Node, out var timer)) { timer.Cancel(); }

        var oldState = state.State;
        var oldMeta = state.Meta;

        if (!bootstrap && isLocal)
        {
            if (a.Incarnation == state.Incarnation && (a.Meta ?? []).AsSpan().SequenceEqual(state.Meta)
                && (a.Vsn ?? []).AsSpan().SequenceEqual(state.Vsn))
            {
                return;
            }
            Refute(state, a.Incarnation, "alive");
            return;
        }

        Broadcast(a.Node, PacketCodec.Encode(a));
        state.Incarnation = a.Incarnation;
        state.Meta = a.Meta ?? [];
        state.Addr = a.Addr;
        state.Port = a.Port;
        if (a.Vsn is { Length: 6 }) { state.Vsn = a.Vsn; }
        if (state.State != NodeStatus.Alive)
        {
            state.State = NodeStatus.Alive;
            state.StateChange = _rt.Now;
        }

        if (oldState is NodeStatus.Dead or NodeStatus.Left) { EmitJoin(state); }
        else if (!oldMeta.AsSpan().SequenceEqual(state.Meta)) { EmitUpdate(state); }
    }

    /// <summary>Applies a suspect message, starting or confirming a Lifeguard suspicion timer.</summary>
    internal void HandleSuspect(AccusationMessage s)
    {
        if (!_nodeMap.TryGetValue(s.Node, out var state)) { return; }
        if (s.Incarnation < state.Incarnation) { return; }
        if (_suspicions.TryGetValue(s.Node, out var existing))
        {
            if (existing.Confirm(s.From)) { Broadcast(s.Node, PacketCodec.EncodeSuspect(s)); }
            return;
        }
        if (state.State != NodeStatus.Alive) { return; }
        if (s.Node == Name)
        {
            Refute(state, s.Incarnation, "suspect");
            return;
        }
        Broadcast(s.Node, PacketCodec.EncodeSuspect(s));
        Interlocked.Increment(ref Statistics.SuspicionsValue);
        state.Incarnation = s.Incarnation;
        state.State = NodeStatus.Suspect;
        var changeTime = _rt.Now;
        state.StateChange = changeTime;

        var n = _nodes.Count;
        var k = Options.SuspicionMult - 2;
        if (n - 2 < k) { k = 0; }
        var min = Suspicion.MinTimeout(Options.SuspicionMult, n, Options.ProbeInterval);
        var max = min * Math.Max(1, Options.SuspicionMaxTimeoutMult);
        Suspicion? suspicion = null;
        suspicion = new Suspicion(_rt, s.From, k, min, max, () =>
        {
            if (_shutdown) { return; }
            if (!_suspicions.TryGetValue(s.Node, out var current) || current != suspicion) { return; }
            _suspicions.Remove(s.Node);
            if (state.State == NodeStatus.Suspect && state.StateChange == changeTime)
            {
                GossipLog.SuspectTimeout(_log, state.Name, suspicion!.Confirmations);
                SuspicionTimeouts++;
                HandleDead(new AccusationMessage(state.Incarnation, state.Name, Name));
            }
        });
        _suspicions[s.Node] = suspicion;
    }

    /// <summary>Applies a dead message; From == Node means a graceful leave.</summary>
    internal void HandleDead(AccusationMessage d, Action? broadcastDone = null)
    {
        if (!_nodeMap.TryGetValue(d.Node, out var state)) { broadcastDone?.Invoke(); return; }
        if (d.Incarnation < state.Incarnation) { broadcastDone?.Invoke(); return; }
        if (_suspicions.Remove(d.Node, out var timer)) { timer.Cancel(); }
        if (state.DeadOrLeft) { broadcastDone?.Invoke(); return; }
        if (d.Node == Name && !_leaving)
        {
            Refute(state, d.Incarnation, "dead");
            return;
        }
        Broadcast(d.Node, PacketCodec.EncodeDead(d), broadcastDone);
        state.Incarnation = d.Incarnation;
        state.State = d.From == d.Node ? NodeStatus.Left : NodeStatus.Dead;
        state.StateChange = _rt.Now;
        EmitLeave(state);
    }

    private void Refute(NodeState me, uint accused, string kind)
    {
        var inc = me.Incarnation + 1;
        if (accused >= inc) { inc = accused + 1; }
        me.Incarnation = inc;
        Interlocked.Increment(ref Statistics.RefutationsValue);
        Awareness.ApplyDelta(1);
        GossipLog.Refuting(_log, kind, accused);
        var alive = new AliveMessage(inc, Name, AdvertiseAddr, AdvertisePort, me.Meta, me.Vsn);
        Broadcast(Name, PacketCodec.Encode(alive));
    }

    /// <summary>Re-announces ourselves with fresh meta and a new incarnation (tag updates).</summary>
    public void UpdateMeta(Action? broadcastDone = null)
    {
        var me = LocalState ?? throw new InvalidOperationException("not started");
        var meta = Delegate?.NodeMeta(MemberlistOptions.MetaMaxSize) ?? [];
        if (meta.Length > MemberlistOptions.MetaMaxSize) { throw new ArgumentException($"node meta is {meta.Length} bytes, the limit is {MemberlistOptions.MetaMaxSize}"); }
        var alive = new AliveMessage(me.Incarnation + 1, Name, AdvertiseAddr, AdvertisePort, meta, Options.Vsn);
        HandleAlive(alive, bootstrap: true);
        // Alone, nobody can receive the broadcast, so waiting for it would only wait out the caller's timeout
        // (as memberlist does, only wait when another member is alive). It stays queued for whoever joins next.
        bool alone = NumAlive() <= 1;
        Broadcasts.Enqueue(PacketCodec.Encode(alive), Name, alone ? null : broadcastDone);
        if (alone) broadcastDone?.Invoke();
    }

    /// <summary>Starts a graceful leave: broadcasts dead(self, From=self). <paramref name="done"/> runs once it was transmitted.</summary>
    public void Leave(Action done)
    {
        _leaving = true;
        var me = LocalState;
        if (me is null || me.DeadOrLeft || NumAlive() <= 1)
        {
            if (me is { DeadOrLeft: false }) { me.State = NodeStatus.Left; me.StateChange = _rt.Now; }
            done();
            return;
        }
        HandleDead(new AccusationMessage(me.Incarnation, Name, Name), done);
    }

    // ---------------------------------------------------------------- push/pull

    /// <summary>Full local state for a push/pull.</summary>
    public PushPullState BuildPushPull(bool join)
    {
        var nodes = _nodes.Select(n => new PushNodeState(n.Name, n.Addr, n.Port, n.Meta, n.Incarnation, n.State, n.Vsn.Length == 6 ? n.Vsn : Options.Vsn)).ToList();
        return new PushPullState(join, nodes, Delegate?.LocalState(join) ?? []);
    }

    /// <summary>Merges a remote push/pull; returns an error text if it was refused.</summary>
    public string? MergeRemote(PushPullState remote)
    {
        if (VerifyProtocol(remote.Nodes) is { } incompatible)
        {
            GossipLog.MergeRefused(_log, incompatible);
            return incompatible;
        }
        if (MergeDelegate is { } md)
        {
            var peers = remote.Nodes.Select(n => new Node(n.Name,
                n.Addr.Length is 4 or 16 ? new System.Net.IPAddress(n.Addr) : System.Net.IPAddress.None,
                n.Port, n.Meta ?? [], n.State, n.Incarnation, n.Vsn ?? [])).ToList();
            var veto = md.NotifyMerge(peers);
            if (veto is not null) { GossipLog.MergeRefused(_log, veto); return veto; }
        }
        foreach (var r in remote.Nodes)
        {
            switch (r.State)
            {
                case NodeStatus.Alive:
                    HandleAlive(new AliveMessage(r.Incarnation, r.Name, r.Addr, r.Port, r.Meta, r.Vsn), bootstrap: false);
                    break;
                case NodeStatus.Left:
                    HandleDead(new AccusationMessage(r.Incarnation, r.Name, r.Name));
                    break;
                default:
                    // A remote "dead" only makes us suspect: we check for ourselves.
                    HandleSuspect(new AccusationMessage(r.Incarnation, r.Name, Name));
                    break;
            }
        }
        if (remote.UserState.Length > 0) { Delegate?.MergeRemoteState(remote.UserState, remote.Join); }
        return null;
    }

    /// <summary>Inserts already-known alive members without gossip or events (simulation bootstrap).</summary>
    internal void SeedMembers(IEnumerable<(string Name, byte[] Addr, ushort Port)> members, byte[] meta)
    {
        foreach (var (name, addr, port) in members)
        {
            if (_nodeMap.ContainsKey(name)) { continue; }
            var state = new NodeState
            {
                Name = name, Addr = addr, Port = port, Meta = meta, Vsn = Options.Vsn,
                Incarnation = 1, State = NodeStatus.Alive, StateChange = _rt.Now,
            };
            _nodeMap[name] = state;
            _nodes.Add(state);
        }
        Shuffle(_nodes);
    }

    /// <summary>
    /// memberlist's cluster-wide version check: every node's spoken protocol (memberlist and delegate) must lie within
    /// [highest minimum, lowest maximum] over all alive nodes of both lists. Remote entries without a version count as 0.
    /// </summary>
    internal string? VerifyProtocol(IReadOnlyList<PushNodeState> remote)
    {
        int maxPMin = 0, minPMax = int.MaxValue, maxDMin = 0, minDMax = int.MaxValue;
        void Range(byte[] v)
        {
            maxPMin = Math.Max(maxPMin, v[0]); minPMax = Math.Min(minPMax, v[1]);
            maxDMin = Math.Max(maxDMin, v[3]); minDMax = Math.Min(minDMax, v[4]);
        }
        foreach (var r in remote)
        {
            if (r.State == NodeStatus.Alive && r.Vsn is { Length: 6 } v) { Range(v); }
        }
        foreach (var n in _nodes)
        {
            if (n.State == NodeStatus.Alive && n.Vsn.Length == 6) { Range(n.Vsn); }
        }
        string? Check(string name, byte[]? v)
        {
            var pcur = v is { Length: 6 } ? v[2] : 0;
            var dcur = v is { Length: 6 } ? v[5] : 0;
            if (pcur < maxPMin || pcur > minPMax) { return $"Node '{name}' protocol version ({pcur}) is incompatible: [{maxPMin}, {minPMax}]"; }
            if (dcur < maxDMin || dcur > minDMax) { return $"Node '{name}' delegate protocol version ({dcur}) is incompatible: [{maxDMin}, {minDMax}]"; }
            return null;
        }
        foreach (var r in remote)
        {
            if (Check(r.Name, r.Vsn) is { } e) { return e; }
        }
        foreach (var n in _nodes)
        {
            if (n.Vsn.Length == 6 && Check(n.Name, n.Vsn) is { } e) { return e; }
        }
        return null;
    }
}
