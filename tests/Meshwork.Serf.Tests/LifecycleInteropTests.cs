namespace Meshwork.Serf.Tests;

/// <summary>Leave and failure detection in both directions against a real serf agent.</summary>
public class LifecycleInteropTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Graceful_leave_of_the_Meshwork_node_is_seen_as_left()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using (node)
        {
            await node.JoinAsync([agent.EndPoint]);
            await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");
            await node.LeaveAsync();
        }
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "left", "agent shows the node as left (not failed)");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Graceful_leave_of_the_agent_is_seen_as_left()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        // The leave must not overlap the agent's own join. With -join the agent answers RPC and we see it alive
        // (our merge of its push/pull) before its Serf.Join has gossiped the join intent; a leave started in that
        // gap takes the older Lamport time, the join intent that follows overrides it, and every serf member (the
        // agent itself included) then records the leave as a failure. `serf join` returns only after that intent.
        var (code, _, err) = await agent.CliAsync("join", node.LocalEndPoint.ToString());
        Assert.True(code == 0, err);
        await Eventually.TrueAsync(() => node.Member(agent.Name)?.Status == MemberStatus.Alive, "agent joined");

        (code, _, err) = await agent.CliAsync("leave");
        Assert.True(code == 0, err);
        await Eventually.TrueAsync(() => node.Member(agent.Name)?.Status == MemberStatus.Left, "Meshwork shows the agent as left");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Killed_agent_is_detected_as_failed_and_recovers_when_it_rejoins()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        var name = Cluster.UniqueName("agent");
        var agent = await SerfAgent.StartAsync(name, $"-join=127.0.0.1:{node.LocalEndPoint.Port}");
        var port = agent.BindPort;
        await using (agent)
        {
            await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Alive, "agent joined");
            await agent.KillAsync();
            await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Failed, "Meshwork marks the killed agent failed");
        }

        // Same name comes back with incarnation 1: it must refute the dead record we send it and become alive again.
        await using var again = await SerfAgent.StartOnPortAsync(name, port, $"-join=127.0.0.1:{node.LocalEndPoint.Port}");
        await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Alive, "restarted agent alive again");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Stopped_Meshwork_node_is_detected_as_failed_by_the_agent()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using (node)
        {
            await node.JoinAsync([agent.EndPoint]);
            await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");
        }
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "failed", "agent marks the vanished node failed");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Meshwork_refutes_a_suspicion_and_the_agent_keeps_it_alive()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        // Send a suspicion about the node to its gossip port, as a peer would gossip it: suspect{From, Incarnation, Node}.
        var before = node.Gossip.LocalNode.Incarnation;
        var suspect = new Gossip.Wire.MsgPackWriter();
        suspect.WriteByte(3);
        suspect.WriteMapHeader(3);
        suspect.Key("From"); suspect.WriteString(agent.Name);
        suspect.Key("Incarnation"); suspect.WriteUInt(before);
        suspect.Key("Node"); suspect.WriteString(node.Name);
        using (var udp = new System.Net.Sockets.UdpClient(System.Net.Sockets.AddressFamily.InterNetwork))
        {
            await udp.SendAsync(suspect.ToArray(), node.LocalEndPoint);
        }
        await Eventually.TrueAsync(() => node.Gossip.LocalNode.Incarnation > before, "the node refutes with a higher incarnation");
        Assert.Equal(Gossip.NodeStatus.Alive, node.Gossip.LocalNode.Status);
        // The refuting alive has been gossiped its full retransmit count once our broadcast queue is empty.
        await Eventually.TrueAsync(() => node.Gossip.PendingBroadcasts == 0, "refutation fully gossiped");
        Assert.Equal("alive", (await agent.MemberAsync(node.Name))?.Status);
    }
}
