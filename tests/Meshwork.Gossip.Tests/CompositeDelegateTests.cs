using Meshwork.Gossip.Composite;
using Meshwork.Gossip.Simulation;

namespace Meshwork.Gossip.Tests;

/// <summary>Composite delegates: order, fan-out, veto and isolation of a throwing member, on the simulator.</summary>
public class CompositeDelegateTests
{
    private sealed class Thrower : IMemberEventDelegate, IMergeDelegate, IPingDelegate
    {
        public int Calls;
        public void NotifyJoin(Node node) { Calls++; throw new InvalidOperationException("broken delegate"); }
        public void NotifyLeave(Node node) { Calls++; throw new InvalidOperationException("broken delegate"); }
        public void NotifyUpdate(Node node) { Calls++; throw new InvalidOperationException("broken delegate"); }
        public string? NotifyMerge(IReadOnlyList<Node> peers) { Calls++; throw new InvalidOperationException("broken guard"); }
        public byte[]? AckPayload() { Calls++; throw new InvalidOperationException("broken payload"); }
        public void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload) { Calls++; throw new InvalidOperationException("broken observer"); }
    }

    private sealed class Recorder(List<string> order, string tag) : IMemberEventDelegate, IMergeDelegate, IPingDelegate
    {
        public List<string> Joined { get; } = [];
        public int Merges;
        public string? Refusal;
        public byte[]? Payload;
        public List<byte[]> PayloadsSeen { get; } = [];
        public void NotifyJoin(Node node) { order.Add(tag); Joined.Add(node.Name); }
        public void NotifyLeave(Node node) => order.Add(tag);
        public void NotifyUpdate(Node node) => order.Add(tag);
        public string? NotifyMerge(IReadOnlyList<Node> peers) { order.Add(tag); Merges++; return Refusal; }
        public byte[]? AckPayload() => Payload;
        public void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload) => PayloadsSeen.Add(payload.ToArray());
    }

    private static SimulatedCluster Cluster(int nodes, Action<SimulatedCluster> configure)
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = nodes, Seed = 11 });
        configure(sim);
        sim.Bootstrap(1);
        for (var i = 1; i < nodes; i++) { sim.Join(sim.Nodes[i], sim.Nodes[0]); }
        return sim;
    }

    [Fact]
    public void Member_events_reach_every_member_in_order_even_when_an_earlier_one_throws()
    {
        var order = new List<string>();
        var thrower = new Thrower();
        var first = new Recorder(order, "first");
        var second = new Recorder(order, "second");
        CompositeMemberEventDelegate? composite = null;
        var sim = Cluster(4, s =>
        {
            var original = s.Nodes[0].Machine.EventDelegate!;
            composite = new CompositeMemberEventDelegate([first, thrower, second, original]);
            s.Nodes[0].Machine.EventDelegate = composite;
        });
        var observedBySimulator = new HashSet<string>();
        sim.MemberEventObserved += (observer, e) => { if (observer.Index == 0 && e.Kind == MemberEventKind.Join) { observedBySimulator.Add(e.Node.Name); } };

        sim.RunFor(TimeSpan.FromSeconds(30), () => second.Joined.Count >= 4);

        Assert.Equal(["node-00000", "node-00001", "node-00002", "node-00003"], second.Joined.Order());
        Assert.Equal(first.Joined, second.Joined);
        Assert.Equal(3, observedBySimulator.Count(n => n != "node-00000"));
        Assert.Equal(thrower.Calls, composite!.Failures[1]);
        Assert.Equal(0, composite.Failures[0]);
        Assert.True(composite.Failures.Total >= 4);
        // Defined order: every event reached "first" before "second".
        for (var i = 0; i + 1 < order.Count; i += 2) { Assert.Equal(("first", "second"), (order[i], order[i + 1])); }
    }

    [Fact]
    public void A_merge_is_refused_if_any_member_refuses_and_every_member_is_asked()
    {
        var order = new List<string>();
        var accept = new Recorder(order, "accept");
        var refuse = new Recorder(order, "refuse") { Refusal = "wrong cluster" };
        var last = new Recorder(order, "last");
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var guard = new CompositeMergeDelegate([accept, refuse, last]);
        sim.Nodes[0].Machine.MergeDelegate = guard;

        var error = sim.Nodes[0].Machine.MergeRemote(sim.Nodes[1].Machine.BuildPushPull(join: true));

        Assert.Equal("wrong cluster", error);
        Assert.Equal(["accept", "refuse", "last"], order);

        refuse.Refusal = null;
        Assert.Null(sim.Nodes[0].Machine.MergeRemote(sim.Nodes[1].Machine.BuildPushPull(join: false)));
    }

    [Fact]
    public void A_throwing_merge_guard_counts_as_a_refusal_and_the_others_are_still_asked()
    {
        var order = new List<string>();
        var thrower = new Thrower();
        var after = new Recorder(order, "after");
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var guard = new CompositeMergeDelegate([thrower, after]);
        sim.Nodes[0].Machine.MergeDelegate = guard;

        var error = sim.Nodes[0].Machine.MergeRemote(sim.Nodes[1].Machine.BuildPushPull(join: true));

        Assert.NotNull(error);
        Assert.Contains("broken guard", error);
        Assert.Equal(1, after.Merges);
        Assert.Equal(1, guard.Failures[0]);
    }

    [Fact]
    public void The_ack_payload_is_the_first_non_null_one_and_every_member_observes_probes()
    {
        var order = new List<string>();
        var thrower = new Thrower();
        var silent = new Recorder(order, "silent");
        var payload = new Recorder(order, "payload") { Payload = [9, 8, 7] };
        var observer = new Recorder(order, "observer");
        CompositePingDelegate? composite = null;
        var sim = Cluster(2, s =>
        {
            s.Nodes[1].Machine.PingDelegate = new CompositePingDelegate([thrower, silent, payload]);
            composite = new CompositePingDelegate([thrower, observer]);
            s.Nodes[0].Machine.PingDelegate = composite;
        });

        sim.RunFor(TimeSpan.FromSeconds(30), () => observer.PayloadsSeen.Any(p => p.Length > 0));

        Assert.Contains(observer.PayloadsSeen, p => p.SequenceEqual(new byte[] { 9, 8, 7 }));
        Assert.True(composite!.Failures[0] > 0);
    }

    [Fact]
    public void A_composite_refuses_no_members_and_null_members()
    {
        Assert.Throws<ArgumentException>(() => new CompositeMemberEventDelegate([]));
        Assert.Throws<ArgumentException>(() => new CompositeMergeDelegate([null!]));
    }
}
