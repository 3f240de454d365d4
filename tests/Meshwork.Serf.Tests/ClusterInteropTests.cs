namespace Meshwork.Serf.Tests;

/// <summary>Mixed clusters: several agents, protocol versions, compression settings and restarts.</summary>
public class ClusterInteropTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Second_agent_learns_Meshwork_through_gossip_and_a_stopped_agent_comes_back()
    {
        await using var a = await SerfAgent.StartAsync(Cluster.UniqueName("agent-a"));
        await using var b = await SerfAgent.StartAsync(Cluster.UniqueName("agent-b"), $"-join=127.0.0.1:{a.BindPort}");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([a.EndPoint]);

        await Eventually.TrueAsync(async () => (await b.MemberAsync(node.Name))?.Status == "alive", "agent B learns Meshwork via A");
        await Eventually.TrueAsync(() => node.Member(b.Name)?.Status == MemberStatus.Alive, "Meshwork learns agent B");

        // Freeze A briefly: B and Meshwork probe it directly and indirectly through each other (nacks included).
        a.Freeze(true);
        try
        {
            await Eventually.TrueAsync(() => node.Gossip.Members.Any(m => m.Name == a.Name && m.Status != Gossip.NodeStatus.Alive),
                "Meshwork's probes (direct, indirect through B, TCP) fail and A is suspected");
        }
        finally { a.Freeze(false); }

        await Eventually.TrueAsync(() => node.Member(a.Name)?.Status == MemberStatus.Alive, "A alive again for Meshwork");
        await Eventually.TrueAsync(async () => (await b.MemberAsync(node.Name))?.Status == "alive", "Meshwork still alive for B");
        Assert.DoesNotContain("[ERR] memberlist: Failed to decode", b.Log, StringComparison.Ordinal);
    }

    [Trait("Category", "Interop")]
    [Theory]
    [InlineData("2")]
    [InlineData("4")]
    public async Task Agents_speaking_older_serf_protocols_interoperate(string protocol)
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-protocol={protocol}", "-tag", "role=legacy");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "csharp" });
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(() => node.Member(agent.Name) is { Status: MemberStatus.Alive } m && m.Tags.GetValueOrDefault("role") == "legacy",
            "legacy agent alive with its role tag");
        Assert.Equal(byte.Parse(protocol, System.Globalization.CultureInfo.InvariantCulture), node.Member(agent.Name)!.DelegateCur);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "agent sees Meshwork");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Uncompressed_on_both_sides_works()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), "-disable-compression");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), configure: o => o.Memberlist.EnableCompression = false);
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");
        var (code, stdout, err) = await agent.CliAsync("query", "-timeout=3s", "echo", "plain");
        Assert.True(code == 0, err);
        Assert.Contains($"pong-from-{node.Name}:plain", stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Restarted_Meshwork_node_refutes_its_failure_and_is_alive_again()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        var name = Cluster.UniqueName("csharp");
        var port = SerfAgent.FreePort();
        await using (var first = Cluster.StartNode(name, configure: o => o.Memberlist.BindPort = port))
        {
            await first.JoinAsync([agent.EndPoint]);
            await Eventually.TrueAsync(async () => (await agent.MemberAsync(name))?.Status == "alive", "joined");
        }
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(name))?.Status == "failed", "failed after stop");

        await using var second = Cluster.StartNode(name, configure: o => o.Memberlist.BindPort = port);
        await second.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(name))?.Status == "alive", "alive again after restart");
        Assert.True(second.Gossip.LocalNode.Incarnation > 1);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Two_Meshwork_nodes_meet_through_an_agent_and_exchange_events()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var a = Cluster.StartNode(Cluster.UniqueName("csharp-a"));
        await using var b = Cluster.StartNode(Cluster.UniqueName("csharp-b"));
        await using var sinkB = new EventSink(b);
        await a.JoinAsync([agent.EndPoint]);
        await b.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(() => a.Member(b.Name)?.Status == MemberStatus.Alive && b.Member(a.Name)?.Status == MemberStatus.Alive,
            "the two Meshwork nodes learn each other through the agent");
        a.UserEvent("mesh-to-mesh", "hi"u8.ToArray(), coalesce: false);
        await Eventually.TrueAsync(() => sinkB.UserEvents.Any(e => e.Name == "mesh-to-mesh"), "event crosses");
        Assert.Equal(3, (await agent.MembersAsync()).Count(m => m.Status == "alive"));
    }
}
