using Meshwork.Gossip.Simulation;

namespace Meshwork.Gossip.Tests;

/// <summary>Deterministic simulations at N = 100 on virtual time.</summary>
public class SimulationTests
{
    [Fact]
    public void Join_and_failure_reach_every_node_of_100()
    {
        var r = Experiments.Convergence(new SimulationOptions { Nodes = 100, Seed = 42 });
        Assert.NotNull(r.JoinTo100);
        Assert.NotNull(r.FailureTo100);
        Assert.Equal(0, r.FalseDeadDeclarations);
    }

    [Fact]
    public void Same_seed_replays_the_same_run()
    {
        var a = Experiments.Convergence(new SimulationOptions { Nodes = 100, Seed = 7, PacketLoss = 0.05 });
        var b = Experiments.Convergence(new SimulationOptions { Nodes = 100, Seed = 7, PacketLoss = 0.05 });
        Assert.Equal(a, b);
        var c = Experiments.Convergence(new SimulationOptions { Nodes = 100, Seed = 8, PacketLoss = 0.05 });
        Assert.NotEqual(a.EventsExecuted, c.EventsExecuted);
    }

    [Fact]
    public void Converges_with_ten_percent_packet_loss()
    {
        var r = Experiments.Convergence(new SimulationOptions { Nodes = 100, Seed = 3, PacketLoss = 0.10 });
        Assert.NotNull(r.JoinTo100);
        Assert.NotNull(r.FailureTo100);
    }

    [Fact]
    public void Partition_declares_the_other_side_dead_and_healing_restores_everyone()
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 100, Seed = 5, Profile = n => new MemberlistOptions { Name = n, EnableCompression = false, PushPullInterval = TimeSpan.FromSeconds(5) } });
        sim.Bootstrap(100);
        sim.RunFor(TimeSpan.FromSeconds(2));
        sim.Partition(n => n.Index < 50 ? 0 : 1);
        sim.RunFor(TimeSpan.FromSeconds(40));
        var view = sim.Nodes[0].Members;
        Assert.Equal(50, view.Count(m => m.Status == NodeStatus.Alive));
        Assert.DoesNotContain(view, m => string.CompareOrdinal(m.Name, "node-00050") >= 0 && m.Status == NodeStatus.Alive);

        sim.Partition(null);
        // Dead nodes are forgotten after GossipToTheDeadTime; the two halves re-merge through push/pull of still-known addresses
        // only if some contact remains, so rejoin explicitly like serf's reconnect loop would.
        sim.Join(sim.Nodes[0], sim.Nodes[99]);
        sim.RunFor(TimeSpan.FromSeconds(60));
        Assert.All(sim.Nodes, n => Assert.Equal(100, n.Members.Count(m => m.Status == NodeStatus.Alive)));
    }

    [Fact]
    public void Slow_nodes_raise_their_own_health_score_and_never_get_healthy_nodes_killed()
    {
        var options = new SimulationOptions { Nodes = 100, Seed = 11, SlowFraction = 0.1, SlowDelay = TimeSpan.FromSeconds(10) };
        var on = Experiments.FalsePositives(options, TimeSpan.FromSeconds(60));
        Assert.Equal(10, on.SlowNodes);
        Assert.Equal(0, on.HealthyVictims);
        Assert.True(on.MeanSlowHealthScore > 0, $"on={on}");

        options.Lifeguard = false;
        var off = Experiments.FalsePositives(options, TimeSpan.FromSeconds(60));
        Assert.Equal(0, off.MeanSlowHealthScore);
    }

    [Fact]
    public void Lifeguard_protects_healthy_nodes_from_accusers_with_a_packet_backlog()
    {
        var options = new SimulationOptions
        {
            Nodes = 100, Seed = 1, SlowFraction = 0.1, SlowDelay = TimeSpan.FromSeconds(30), SlowModel = SlowNodeModel.PacketLag,
        };
        var on = Experiments.FalsePositives(options, TimeSpan.FromSeconds(120));
        options.Lifeguard = false;
        var off = Experiments.FalsePositives(options, TimeSpan.FromSeconds(120));

        Assert.True(on.MeanSlowHealthScore > 1, $"slow nodes should notice they are the problem: {on}");
        Assert.True(on.FalseSuspicionsSeen < off.FalseSuspicionsSeen, $"on={on} off={off}");
        Assert.True(off.HealthyVictims > 10, $"without Lifeguard slow accusers kill healthy nodes: {off}");
        Assert.True(on.HealthyVictims * 5 < off.HealthyVictims, $"on={on} off={off}");
        Assert.True(on.SuspicionTimeouts < off.SuspicionTimeouts, $"on={on} off={off}");
    }
}
