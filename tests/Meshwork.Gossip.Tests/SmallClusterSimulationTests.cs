using Meshwork.Gossip.Simulation;

namespace Meshwork.Gossip.Tests;

/// <summary>
/// Small-cluster protocol behaviour on the deterministic simulator: the real state machine on virtual time, so the
/// tests never wait on the wall clock and replay exactly from their seed.
/// </summary>
public class SmallClusterSimulationTests
{
    private static int Alive(SimNode n) => n.Members.Count(m => m.Status == NodeStatus.Alive);

    private static bool Converged(SimulatedCluster sim) => sim.Nodes.All(n => Alive(n) == sim.Nodes.Count);

    /// <summary>Starts node 0 alone, then every other node joins through it with a push/pull, all at once.</summary>
    private static SimulatedCluster JoinedCluster(int nodes, int seed, double loss = 0)
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = nodes, Seed = seed, PacketLoss = loss });
        sim.Bootstrap(1);
        for (var i = 1; i < nodes; i++) { sim.Join(sim.Nodes[i], sim.Nodes[0]); }
        return sim;
    }

    [Fact]
    public void Nodes_join_through_a_seed_and_converge()
    {
        var sim = JoinedCluster(5, seed: 1);
        sim.RunFor(TimeSpan.FromSeconds(30), () => Converged(sim));
        Assert.All(sim.Nodes, n => Assert.Equal(5, Alive(n)));
    }

    [Fact]
    public void Crash_is_detected_and_every_live_node_reports_it_dead()
    {
        var sim = JoinedCluster(4, seed: 2);
        sim.RunFor(TimeSpan.FromSeconds(30), () => Converged(sim));
        Assert.True(Converged(sim));
        var victim = sim.Nodes[3];
        var reporters = new HashSet<string>();
        sim.MemberEventObserved += (observer, e) =>
        {
            if (e.Kind == MemberEventKind.Leave && e.Node.Name == victim.Name && e.Node.Status == NodeStatus.Dead) { reporters.Add(observer.Name); }
        };

        sim.Crash(victim);
        sim.RunFor(TimeSpan.FromSeconds(60), () => reporters.Count == 3);

        Assert.Equal(["node-00000", "node-00001", "node-00002"], reporters.Order());
        Assert.All(sim.Nodes.Take(3), n => Assert.Equal(NodeStatus.Dead, n.Members.Single(m => m.Name == victim.Name).Status));
    }

    private sealed class PingHook : IPingDelegate
    {
        public int Completed { get; private set; }

        public TimeSpan MinRtt { get; private set; } = TimeSpan.MaxValue;

        public byte[]? AckPayload() => [1, 2, 3];

        public void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload)
        {
            if (!payload.SequenceEqual(new byte[] { 1, 2, 3 })) { return; }
            Completed++;
            if (rtt < MinRtt) { MinRtt = rtt; }
        }
    }

    [Fact]
    public void Ping_delegate_payload_travels_in_acks_with_the_round_trip_time()
    {
        var options = new SimulationOptions { Nodes = 2, Seed = 3 };
        var sim = new SimulatedCluster(options);
        var hooks = sim.Nodes.Select(n =>
        {
            var hook = new PingHook();
            n.Machine.PingDelegate = hook;
            return hook;
        }).ToList();
        sim.Bootstrap(2);
        sim.RunFor(TimeSpan.FromSeconds(10));
        Assert.All(hooks, h =>
        {
            Assert.True(h.Completed > 2, $"{h.Completed} probes completed with the payload");
            // A probe's RTT spans two one-way trips of at least the base latency each (virtual time, so exact).
            Assert.True(h.MinRtt >= 2 * options.Latency, $"min RTT {h.MinRtt}");
        });
    }

    [Fact]
    public void Fifteen_percent_packet_loss_is_bridged_by_indirect_and_stream_probes()
    {
        var sim = JoinedCluster(5, seed: 4, loss: 0.15);
        var deaths = 0;
        sim.MemberEventObserved += (_, e) => { if (e.Kind == MemberEventKind.Leave) { deaths++; } };
        sim.RunFor(TimeSpan.FromSeconds(30), () => Converged(sim));
        Assert.True(Converged(sim), "converged under loss");

        // Every second for two minutes: a lost direct ping is answered through the indirect probers or the stream
        // ping, so no node even becomes suspect.
        var suspectSamples = 0;
        for (var second = 0; second < 120; second++)
        {
            sim.RunFor(TimeSpan.FromSeconds(1));
            suspectSamples += sim.Nodes.Sum(n => n.Machine.CountInState(NodeStatus.Suspect));
        }
        Assert.Equal(0, suspectSamples);
        Assert.Equal(0, deaths);
        Assert.True(Converged(sim), "still converged under loss");
    }
}
