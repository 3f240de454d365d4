namespace Meshwork.Serf.Tests;

/// <summary>Membership against real serf 0.9.4 agents: join both ways, tags, leave and failure detection.</summary>
public class MembershipInteropTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Meshwork_node_joins_an_agent_and_both_see_each_other_with_tags()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), "-tag", "role=gw");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "csharp", ["dc"] = "lab" });

        Assert.Equal(1, await node.JoinAsync([agent.EndPoint]));

        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name)) is { Status: "alive" } m
            && m.Tags.GetValueOrDefault("role") == "csharp" && m.Tags.GetValueOrDefault("dc") == "lab"
            && m.Port == node.LocalEndPoint.Port, "agent lists the Meshwork node alive with its tags");
        await Eventually.TrueAsync(() => node.Member(agent.Name) is { Status: MemberStatus.Alive } m && m.Tags.GetValueOrDefault("role") == "gw",
            "Meshwork lists the agent alive with its tags");
        var me = node.Member(agent.Name)!;
        Assert.Equal(5, me.DelegateCur);
        Assert.Equal(5, me.ProtocolMax);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Agent_joins_a_Meshwork_node()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "seed" });
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-join=127.0.0.1:{node.LocalEndPoint.Port}");

        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name)) is { Status: "alive" } m && m.Tags.GetValueOrDefault("role") == "seed",
            "agent lists the Meshwork seed alive");
        await Eventually.TrueAsync(() => node.Member(agent.Name) is { Status: MemberStatus.Alive }, "Meshwork lists the agent alive");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Meshwork_stays_alive_while_the_agent_probes_it()
    {
        // Encrypted and compressed, the agent's defaults plus -encrypt; MESHWORK_SOAK_SECONDS lengthens the run locally.
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={key}");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), keyring: Gossip.Security.Keyring.FromBase64(key),
            configure: o => o.Memberlist.PushPullInterval = TimeSpan.FromSeconds(2));
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        // Several push/pulls from our side (every 2 s) and the agent's probes (every second) in between: nobody may
        // be suspected. Counted on the agent's log, one "Stream connection" line per accepted push/pull.
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("MESHWORK_SOAK_SECONDS"), out var s) ? s : 6;
        var streams = StreamConnections(agent.Log);
        await Eventually.TrueAsync(() => StreamConnections(agent.Log) >= streams + Math.Max(3, seconds / 2),
            "several push/pull rounds from Meshwork accepted by the agent", seconds: 30 + seconds);
        Assert.Equal("alive", (await agent.MemberAsync(node.Name))?.Status);
        Assert.Equal(MemberStatus.Alive, node.Member(agent.Name)?.Status);
        Assert.DoesNotContain($"Suspect {node.Name}", agent.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("[ERR]", agent.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("Failed to decode", agent.Log, StringComparison.Ordinal);
    }

    private static int StreamConnections(string log) =>
        log.Split('\n').Count(l => l.Contains("memberlist: Stream connection", StringComparison.Ordinal));
}
