using System.Collections.Concurrent;
using Meshwork.Gossip;
using Meshwork.Gossip.Composite;
using Meshwork.Gossip.Transport;

namespace Meshwork.Serf.Tests;

/// <summary>Extra member-list delegates given in <see cref="SerfOptions"/>: combined with serf's own.</summary>
public class SerfDelegateOptionsTests
{
    private static SerfNode Node(InMemoryNetwork net, string name, Action<SerfOptions>? configure = null)
    {
        var options = new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = name, GossipInterval = TimeSpan.FromMilliseconds(50), ProbeInterval = TimeSpan.FromMilliseconds(300), ProbeTimeout = TimeSpan.FromMilliseconds(150) },
        };
        configure?.Invoke(options);
        var node = new SerfNode(options, net.CreateTransport());
        node.Start();
        return node;
    }

    private sealed class Thrower : IMemberEventDelegate
    {
        public void NotifyJoin(Node node) => throw new InvalidOperationException("broken");
        public void NotifyLeave(Node node) => throw new InvalidOperationException("broken");
        public void NotifyUpdate(Node node) => throw new InvalidOperationException("broken");
    }

    private sealed class Recorder : IMemberEventDelegate, IMergeDelegate
    {
        public ConcurrentQueue<string> Joined { get; } = new();
        public string? Refusal { get; init; }
        public int Merges;
        public void NotifyJoin(Node node) => Joined.Enqueue(node.Name);
        public void NotifyLeave(Node node) { }
        public void NotifyUpdate(Node node) { }
        public string? NotifyMerge(IReadOnlyList<Node> peers) { Interlocked.Increment(ref Merges); return Refusal; }
    }

    [Fact]
    public async Task Extra_member_event_delegates_run_beside_serf_and_a_throwing_one_does_not_stop_the_others()
    {
        var net = new InMemoryNetwork();
        var recorder = new Recorder();
        await using var a = Node(net, "opt-a", o => { o.MemberEventDelegates.Add(new Thrower()); o.MemberEventDelegates.Add(recorder); });
        await using var b = Node(net, "opt-b");
        await b.JoinAsync([a.LocalEndPoint]);

        await Eventually.TrueAsync(() => recorder.Joined.Contains("opt-b"), "the extra delegate saw the join");
        Assert.Equal(MemberStatus.Alive, a.Member("opt-b")?.Status);   // serf's own bookkeeping ran first
        var composite = Assert.IsType<CompositeMemberEventDelegate>(a.Gossip.EventDelegate);
        Assert.True(composite.Failures[1] >= 1);
        Assert.Equal(0, composite.Failures[2]);
    }

    [Fact]
    public async Task A_merge_guard_in_the_options_refuses_a_join_and_every_guard_is_asked()
    {
        var net = new InMemoryNetwork();
        var first = new Recorder();
        var veto = new Recorder { Refusal = "not our cluster" };
        await using var a = Node(net, "guard-a");
        await using var b = Node(net, "guard-b", o => { o.MergeDelegates.Add(first); o.MergeDelegates.Add(veto); });

        var error = await Assert.ThrowsAsync<AggregateException>(() => b.JoinAsync([a.LocalEndPoint]));
        Assert.Contains("not our cluster", error.InnerExceptions.Single().Message);
        Assert.True(first.Merges >= 1);
    }
}
