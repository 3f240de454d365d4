namespace Meshwork.Gossip.Simulation;

/// <summary>Figures of one convergence run (times are virtual; null = not reached within the limit).</summary>
/// <param name="Nodes">Cluster size including the joiner.</param>
/// <param name="Seed">Seed of the run.</param>
/// <param name="PacketLoss">Datagram loss probability.</param>
/// <param name="JoinTo999">Time from the join until 99.9 % of the other nodes saw it.</param>
/// <param name="JoinTo100">Time from the join until every other node saw it.</param>
/// <param name="FailureTo999">Time from the crash until 99.9 % of the live nodes declared it dead.</param>
/// <param name="FailureTo100">Time from the crash until every live node declared it dead.</param>
/// <param name="BytesPerNodePerSecond">Datagram bytes sent per node per virtual second over both phases.</param>
/// <param name="FalseDeadDeclarations">Dead declarations of nodes other than the crashed one (false positives).</param>
/// <param name="EventsExecuted">Scheduler events executed (a measure of simulation work).</param>
public sealed record ConvergenceResult(
    int Nodes,
    int Seed,
    double PacketLoss,
    TimeSpan? JoinTo999,
    TimeSpan? JoinTo100,
    TimeSpan? FailureTo999,
    TimeSpan? FailureTo100,
    double BytesPerNodePerSecond,
    int FalseDeadDeclarations,
    long EventsExecuted);

/// <summary>Figures of a false-positive run with slow nodes (nothing crashes, so every dead declaration is false).</summary>
/// <param name="Nodes">Cluster size.</param>
/// <param name="SlowNodes">Number of healthy-but-slow nodes.</param>
/// <param name="Lifeguard">Whether Lifeguard was on.</param>
/// <param name="Duration">Virtual time simulated.</param>
/// <param name="SuspicionTimeouts">Suspicion timers that expired (each declared a node dead).</param>
/// <param name="FalseDeadDeclarations">Dead events observed over all nodes.</param>
/// <param name="DistinctVictims">Distinct nodes declared dead by someone.</param>
/// <param name="HealthyVictims">Distinct non-slow nodes declared dead by someone.</param>
/// <param name="FalseSuspicionsSeen">Suspect entries counted once per virtual second over all live nodes.</param>
/// <param name="MeanSlowHealthScore">Mean Lifeguard health score of the slow nodes, sampled once per second.</param>
public sealed record FalsePositiveResult(int Nodes, int SlowNodes, bool Lifeguard, TimeSpan Duration,
    long SuspicionTimeouts, int FalseDeadDeclarations, int DistinctVictims, int HealthyVictims, int FalseSuspicionsSeen, double MeanSlowHealthScore);

/// <summary>Ready-made experiments over <see cref="SimulatedCluster"/>.</summary>
public static class Experiments
{
    /// <summary>
    /// Node N-1 joins a settled cluster of N-1 nodes; then a random node crashes. Measures virtual time until 99.9 %
    /// and 100 % of the live nodes know each fact.
    /// </summary>
    public static ConvergenceResult Convergence(SimulationOptions options, TimeSpan? limit = null)
    {
        var max = limit ?? TimeSpan.FromSeconds(120);
        var sim = new SimulatedCluster(options);
        var n = options.Nodes;
        sim.Bootstrap(n - 1);
        sim.RunFor(TimeSpan.FromSeconds(2));

        var joiner = sim.Nodes[n - 1];
        var learned = new HashSet<int>();
        var dead = new HashSet<int>();
        SimNode? victim = null;
        var falseDead = 0;
        sim.MemberEventObserved += (observer, e) =>
        {
            if (e.Kind == MemberEventKind.Join && e.Node.Name == joiner.Name && observer != joiner) { learned.Add(observer.Index); }
            if (e.Kind == MemberEventKind.Leave)
            {
                if (victim is not null && e.Node.Name == victim.Name) { dead.Add(observer.Index); }
                else { falseDead++; }
            }
        };

        var bytesBefore = sim.BytesSent;
        var t0 = sim.Now;
        sim.Join(joiner, sim.Nodes[new Random(options.Seed).Next(n - 1)]);
        var others = n - 1;
        TimeSpan? j999 = null, j100 = null;
        sim.RunFor(max, () =>
        {
            if (j999 is null && learned.Count >= Math.Ceiling(others * 0.999)) { j999 = sim.Now - t0; }
            if (learned.Count >= others) { j100 = sim.Now - t0; return true; }
            return false;
        });

        victim = sim.Nodes[new Random(options.Seed + 1).Next(n - 1)];
        sim.Crash(victim);
        var t1 = sim.Now;
        var observers = n - 1;
        TimeSpan? f999 = null, f100 = null;
        sim.RunFor(max, () =>
        {
            if (f999 is null && dead.Count >= Math.Ceiling(observers * 0.999)) { f999 = sim.Now - t1; }
            if (dead.Count >= observers) { f100 = sim.Now - t1; return true; }
            return false;
        });
        var seconds = Math.Max(0.001, (sim.Now - t0).TotalSeconds);
        return new ConvergenceResult(n, options.Seed, options.PacketLoss, j999, j100, f999, f100,
            (sim.BytesSent - bytesBefore) / (double)n / seconds, falseDead, sim.Scheduler.Executed);
    }

    /// <summary>
    /// A settled cluster with a fraction of healthy-but-slow nodes runs for <paramref name="duration"/>; counts how often
    /// a live node was declared dead by someone (every such declaration is a false positive: nothing crashed).
    /// </summary>
    public static FalsePositiveResult FalsePositives(SimulationOptions options, TimeSpan duration)
    {
        var sim = new SimulatedCluster(options);
        sim.Bootstrap(options.Nodes);
        var declarations = 0;
        var suspicions = 0;
        var victims = new HashSet<string>();
        var slowNames = sim.Nodes.Where(x => x.Slow).Select(x => x.Name).ToHashSet();
        var healthyVictims = new HashSet<string>();
        var healthSamples = 0L;
        var healthSum = 0L;
        sim.MemberEventObserved += (_, e) =>
        {
            if (e.Kind != MemberEventKind.Leave) { return; }
            declarations++;
            victims.Add(e.Node.Name);
            if (!slowNames.Contains(e.Node.Name)) { healthyVictims.Add(e.Node.Name); }
        };
        var end = sim.Now + duration;
        while (sim.Now < end)
        {
            sim.RunFor(TimeSpan.FromSeconds(1));
            foreach (var node in sim.Nodes)
            {
                if (node.Crashed) { continue; }
                suspicions += node.Machine.CountInState(NodeStatus.Suspect);
                if (node.Slow) { healthSum += node.HealthScore; healthSamples++; }
            }
        }
        return new FalsePositiveResult(options.Nodes, sim.Nodes.Count(x => x.Slow), options.Lifeguard, duration,
            sim.Nodes.Sum(x => x.Machine.SuspicionTimeouts), declarations, victims.Count, healthyVictims.Count, suspicions,
            healthSamples == 0 ? 0 : healthSum / (double)healthSamples);
    }
}
