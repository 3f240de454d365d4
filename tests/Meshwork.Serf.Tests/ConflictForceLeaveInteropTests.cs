namespace Meshwork.Serf.Tests;

/// <summary>
/// Name conflicts and force-leave in clusters of real serf agents: the majority vote of serf's
/// <c>_serf_conflict</c> query decides who keeps a contested name, and force-leave from a Meshwork node moves a failed
/// agent to left (or erases it) on every agent.
/// </summary>
public class ConflictForceLeaveInteropTests
{
    /// <summary>Three real agents, the first one the seed; returned once each sees the others alive.</summary>
    private static async Task<SerfAgent[]> AgentsAsync(string prefix, int count)
    {
        var seed = await SerfAgent.StartAsync(Cluster.UniqueName(prefix));
        var agents = new List<SerfAgent> { seed };
        try
        {
            for (var i = 1; i < count; i++) { agents.Add(await SerfAgent.StartAsync(Cluster.UniqueName(prefix), $"-join=127.0.0.1:{seed.BindPort}")); }
            await Eventually.TrueAsync(async () => (await seed.MembersAsync()).Count(m => m.Status == "alive") == count, $"{count} agents joined");
            return [.. agents];
        }
        catch
        {
            foreach (var a in agents) { await a.DisposeAsync(); }
            throw;
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<SerfAgent> agents)
    {
        foreach (var a in agents) { await a.DisposeAsync(); }
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task A_Meshwork_newcomer_claiming_a_real_agents_name_loses_the_vote_and_shuts_down()
    {
        var agents = await AgentsAsync("cf", 3);
        try
        {
            var name = Cluster.UniqueName("dup");
            await using var owner = await SerfAgent.StartAsync(name, $"-join=127.0.0.1:{agents[0].BindPort}");
            await Eventually.TrueAsync(async () => (await agents[1].MemberAsync(name))?.Status == "alive", "the rightful owner joined");

            await using var impostor = Cluster.StartNode(name);
            await using var sink = new EventSink(impostor, answerEcho: false);
            await impostor.JoinAsync([agents[1].EndPoint]);

            await Eventually.TrueAsync(() => sink.All.OfType<NameConflictRecord>().Any(), "the Meshwork node ran serf's conflict query");
            var record = sink.All.OfType<NameConflictRecord>().First();
            Assert.True(record.Lost, record.ToString());
            Assert.True(record.Responses >= 3, record.ToString());    // three agents and the owner answered
            Assert.Equal(0, record.Matching);
            Assert.Equal(owner.BindPort, record.Other.Port);
            // The agents keep the owner at its address; the agent that merged the impostor's claim reported it as serf does.
            foreach (var agent in agents)
            {
                var member = await agent.MemberAsync(name);
                Assert.Equal(("alive", owner.BindPort), (member?.Status, member?.Port));
            }
            Assert.Contains($"Name conflict for '{name}'", agents[1].Log, StringComparison.Ordinal);
            Assert.False(owner.HasExited);
        }
        finally { await DisposeAllAsync(agents); }
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task A_real_agent_claiming_a_Meshwork_nodes_name_loses_the_vote_and_quits()
    {
        var agents = await AgentsAsync("cf", 3);
        try
        {
            var name = Cluster.UniqueName("mdup");
            await using var owner = Cluster.StartNode(name);
            await using var sink = new EventSink(owner, answerEcho: false);
            await owner.JoinAsync([agents[0].EndPoint]);
            await using var voter = Cluster.StartNode(Cluster.UniqueName("voter"));
            await voter.JoinAsync([agents[2].EndPoint]);
            await Eventually.TrueAsync(async () => (await agents[2].MemberAsync(name))?.Status == "alive" && voter.Member(name)?.Status == MemberStatus.Alive, "the Meshwork owner joined");

            await using var impostor = await SerfAgent.StartAsync(name, $"-join=127.0.0.1:{agents[1].BindPort}");
            await Eventually.TrueAsync(() => impostor.Log.Contains("minority in name conflict resolution", StringComparison.Ordinal), "the agent lost the vote", 60);

            // serf's resolution: the loser shuts its serf down; the Meshwork owner answered the vote and keeps the name.
            Assert.Contains("Node name conflicts with another node", impostor.Log, StringComparison.Ordinal);
            Assert.Equal(MemberStatus.Alive, owner.Member(name)?.Status);
            Assert.Equal(owner.LocalEndPoint.Port, owner.Member(name)!.Port);
            foreach (var agent in agents)
            {
                var member = await agent.MemberAsync(name);
                Assert.Equal(owner.LocalEndPoint.Port, member?.Port);
            }
            // Four answers, all for the owner: the three agents' and the Meshwork voter's (decoded by the agent, so counted);
            // the owner, like a serf agent, does not answer a vote about its own name.
            Assert.True(impostor.Log.Contains("minority in name conflict resolution, quitting [0 / 4]", StringComparison.Ordinal), impostor.Log);
            await Eventually.TrueAsync(() => impostor.HasExited, "the losing agent process exits");
            Assert.DoesNotContain(sink.All.OfType<NameConflictRecord>(), r => r.Lost);
        }
        finally { await DisposeAllAsync(agents); }
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Force_leave_from_Meshwork_moves_killed_agents_to_left_or_erases_them_on_every_agent()
    {
        var agents = await AgentsAsync("fl", 4);
        try
        {
            await using var node = Cluster.StartNode(Cluster.UniqueName("fl-mesh"));
            await node.JoinAsync([agents[0].EndPoint]);
            await Eventually.TrueAsync(() => node.Members().Count(m => m.Status == MemberStatus.Alive) == 5, "the Meshwork node sees the four agents");
            var (left, pruned) = (agents[2], agents[3]);
            await left.KillAsync();
            await pruned.KillAsync();
            await Eventually.TrueAsync(async () => node.Member(left.Name)?.Status == MemberStatus.Failed && node.Member(pruned.Name)?.Status == MemberStatus.Failed
                && (await agents[0].MemberAsync(left.Name))?.Status == "failed" && (await agents[1].MemberAsync(pruned.Name))?.Status == "failed",
                "the kills were detected everywhere", 90);

            node.ForceLeave(left.Name);
            node.ForceLeave(pruned.Name, prune: true);

            foreach (var agent in agents.Take(2))
            {
                await Eventually.TrueAsync(async () => (await agent.MemberAsync(left.Name))?.Status == "left", $"{agent.Name} shows {left.Name} left");
                await Eventually.TrueAsync(async () => await agent.MemberAsync(pruned.Name) is null, $"{agent.Name} erased {pruned.Name}");
            }
            Assert.Equal(MemberStatus.Left, node.Member(left.Name)?.Status);
            Assert.Null(node.Member(pruned.Name));
        }
        finally { await DisposeAllAsync(agents); }
    }
}
