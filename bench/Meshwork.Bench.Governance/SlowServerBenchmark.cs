using Meshwork.Discovery;
using Meshwork.Governance;

namespace Meshwork.Bench.Governance;

/// <summary>
/// Tail latency when one of three servers answers 20 ms late: P2C-EWMA (the default) against round robin, with the
/// all-healthy P2C run as the baseline, all through the governed invoker at c=16.
/// </summary>
internal static class SlowServerBenchmark
{
    public static async Task RunAsync()
    {
        var warmup = TimeSpan.FromSeconds(1);
        var duration = TimeSpan.FromSeconds(5);
        Console.WriteLine();
        Console.WriteLine("One of three in-process echo servers slowed by 20 ms, c=16, 5 s per cell after 1 s warm-up");
        Console.WriteLine("| balancer | servers | calls/s | p50 µs | p99 µs | failed |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (balancer, slow) in new[] { ("p2c", false), ("p2c", true), ("round-robin", true) })
        {
            await using var cluster = await EchoCluster.StartAsync(3);
            if (slow) cluster.Slow(0, TimeSpan.FromMilliseconds(20));
            var options = new GovernanceOptions();
            options.Services["bench"] = new ServicePolicy { Balancer = balancer };
            await using var invoker = new GovernedCallInvoker(new StaticServiceRegistry(cluster.Instances), options);
            await invoker.WaitForEndpointsAsync("bench", e => e.Count == 3);
            var r = await ClosedLoop.RunAsync(invoker, 16, warmup, duration);
            Console.WriteLine($"| {balancer} | {(slow ? "one slowed by 20 ms" : "all healthy")} | {r.PerSecond:N0} | {r.P50Micros:N0} | {r.P99Micros:N0} | {r.Failures} |");
        }
    }
}
