using Meshwork.Gossip.Transport;

namespace Meshwork.Gossip.Tests;

/// <summary>
/// Real GossipNodes (wall-clock timers, TCP-style streams, the event channel) over the in-memory transport. Protocol
/// behaviour that needs no real node (convergence, failure detection, loss, ping payloads) is tested on the
/// deterministic simulator in <see cref="SmallClusterSimulationTests"/>.
/// </summary>
public class InMemoryClusterTests
{
    private static MemberlistOptions Fast(string name) => new()
    {
        Name = name,
        ProbeInterval = TimeSpan.FromMilliseconds(200),
        ProbeTimeout = TimeSpan.FromMilliseconds(100),
        GossipInterval = TimeSpan.FromMilliseconds(50),
        PushPullInterval = TimeSpan.FromSeconds(2),
        SuspicionMult = 2,
        TcpTimeout = TimeSpan.FromSeconds(2),
    };

    private static Task Until(Func<bool> condition, string what, double seconds = 20) => Eventually.TrueAsync(condition, what, seconds);

    private static async Task<List<GossipNode>> StartCluster(InMemoryNetwork net, int n, Action<GossipNode>? configure = null)
    {
        var nodes = new List<GossipNode>();
        for (var i = 0; i < n; i++)
        {
            var node = new GossipNode(Fast($"n{i}"), net.CreateTransport());
            configure?.Invoke(node);
            node.Start();
            nodes.Add(node);
        }
        for (var i = 1; i < n; i++) { await nodes[i].JoinAsync([nodes[0].LocalEndPoint]); }
        return nodes;
    }

    private static int Alive(GossipNode n) => n.Members.Count(m => m.Status == NodeStatus.Alive);

    [Fact]
    public async Task Graceful_leave_is_seen_as_left_and_reported_on_the_event_stream()
    {
        var net = new InMemoryNetwork();
        var nodes = await StartCluster(net, 3);
        try
        {
            await Until(() => nodes.All(n => Alive(n) == 3), "converged");
            await nodes[2].LeaveAsync(TimeSpan.FromSeconds(5));
            await Until(() => nodes.Take(2).All(n => n.Members.Single(m => m.Name == "n2").Status == NodeStatus.Left), "left");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var joined = new HashSet<string>();
            await foreach (var e in nodes[0].ReadEventsAsync(cts.Token))
            {
                if (e.Kind == MemberEventKind.Join) { joined.Add(e.Node.Name); }
                if (e.Kind == MemberEventKind.Leave && e.Node.Name == "n2")
                {
                    Assert.Equal(NodeStatus.Left, e.Node.Status);
                    break;
                }
            }
            Assert.Contains("n1", joined);
            Assert.Contains("n2", joined);
        }
        finally
        {
            foreach (var n in nodes) { await n.DisposeAsync(); }
        }
    }

    private sealed class Veto(string refusedPrefix, string reason) : IMergeDelegate
    {
        public string? NotifyMerge(IReadOnlyList<Node> peers) => peers.Any(p => p.Name.StartsWith(refusedPrefix, StringComparison.Ordinal)) ? reason : null;
    }

    [Fact]
    public async Task Merge_delegate_can_veto_a_join()
    {
        var net = new InMemoryNetwork();
        await using var a = new GossipNode(Fast("guard"), net.CreateTransport()) { MergeDelegate = new Veto("intruder", "intruders not welcome") };
        // The other side refuses the guard too. Otherwise it would learn the guard from the push/pull and gossip its own
        // alive message to it, which no merge delegate sees (as in memberlist, the veto covers push/pull state only).
        await using var b = new GossipNode(Fast("intruder-1"), net.CreateTransport()) { MergeDelegate = new Veto("guard", "guards not welcome") };
        a.Start();
        b.Start();
        var e = await Assert.ThrowsAsync<AggregateException>(() => a.JoinAsync([b.LocalEndPoint]));
        Assert.Contains("intruders not welcome", e.InnerExceptions[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(a.Members, m => m.Name == "intruder-1");
    }

    [Fact]
    public async Task Encrypted_in_memory_cluster_converges_and_rejects_strangers()
    {
        var net = new InMemoryNetwork();
        var key = new byte[32];
        key[5] = 9;
        var nodes = new List<GossipNode>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var o = Fast($"e{i}");
                o.Keyring = new Security.Keyring([key]);
                var node = new GossipNode(o, net.CreateTransport());
                node.Start();
                nodes.Add(node);
            }
            await nodes[1].JoinAsync([nodes[0].LocalEndPoint]);
            await nodes[2].JoinAsync([nodes[1].LocalEndPoint]);
            await Until(() => nodes.All(n => Alive(n) == 3), "encrypted convergence");

            await using var stranger = new GossipNode(Fast("stranger"), net.CreateTransport());
            stranger.Start();
            await Assert.ThrowsAsync<AggregateException>(() => stranger.JoinAsync([nodes[0].LocalEndPoint]));
        }
        finally
        {
            foreach (var n in nodes) { await n.DisposeAsync(); }
        }
    }

    [Fact]
    public async Task Join_is_refused_when_protocol_versions_are_incompatible()
    {
        var net = new InMemoryNetwork();
        await using var a = new GossipNode(Fast("modern"), net.CreateTransport());
        var future = Fast("future");
        future.Vsn = [1, 5, 2, 2, 9, 9];
        await using var b = new GossipNode(future, net.CreateTransport());
        a.Start();
        b.Start();
        var e = await Assert.ThrowsAsync<AggregateException>(() => a.JoinAsync([b.LocalEndPoint]));
        Assert.Contains("delegate protocol version (9) is incompatible: [2, 5]", e.InnerExceptions[0].Message, StringComparison.Ordinal);
    }
}
