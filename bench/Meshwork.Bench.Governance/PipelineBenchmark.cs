using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc.Client;

namespace Meshwork.Bench.Governance;

/// <summary>
/// The full client pipeline against a bare channel, to the same single echo server at c=64, in one run: resolver
/// (static registry watch), router, P2C-EWMA, per-instance breaker, retry budget and deadline bookkeeping, versus
/// <see cref="RpcChannel"/> alone. Two rounds, interleaved, so a load change on the shared machine shows as a
/// difference between rounds rather than as a difference between the two.
/// </summary>
internal static class PipelineBenchmark
{
    /// <param name="rounds">Interleaved rounds; on a loaded machine more, shorter rounds and the median ratio say more than two long ones.</param>
    /// <param name="seconds">Measured seconds per cell (after 1 s of warm-up).</param>
    public static async Task RunAsync(int rounds = 2, double seconds = 4)
    {
        await using var cluster = await EchoCluster.StartAsync(1);
        await using var bare = RpcChannel.ForAddress(cluster.Address(0));
        await using var governed = new GovernedCallInvoker(new StaticServiceRegistry(cluster.Instances), new GovernanceOptions());
        await governed.WaitForEndpointsAsync("bench", e => e.Count == 1);
        var warmup = TimeSpan.FromSeconds(1);
        var duration = TimeSpan.FromSeconds(seconds);
        Console.WriteLine();
        Console.WriteLine($"Pipeline, c=64, one in-process echo server, {seconds} s per cell after 1 s warm-up, {rounds} interleaved rounds");
        Console.WriteLine("CPU µs/call: the whole process's CPU time (client and server, user and kernel) per call");
        Console.WriteLine("| round | client | calls/s | p50 µs | p99 µs | failed | CPU µs/call |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        var ratios = new List<double>();
        var cpuRatios = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            var b = await ClosedLoop.RunAsync(bare, 64, warmup, duration);
            Console.WriteLine($"| {round} | bare RpcChannel | {b.PerSecond:N0} | {b.P50Micros:N0} | {b.P99Micros:N0} | {b.Failures} | {b.CpuMicrosPerCall:N2} |");
            var g = await ClosedLoop.RunAsync(governed, 64, warmup, duration);
            Console.WriteLine($"| {round} | GovernedCallInvoker | {g.PerSecond:N0} | {g.P50Micros:N0} | {g.P99Micros:N0} | {g.Failures} | {g.CpuMicrosPerCall:N2} |");
            Console.WriteLine($"|  | governed / bare | {g.PerSecond / b.PerSecond:P0} |  |  |  | {g.CpuMicrosPerCall / b.CpuMicrosPerCall:P0} |");
            ratios.Add(g.PerSecond / b.PerSecond);
            cpuRatios.Add(g.CpuMicrosPerCall / b.CpuMicrosPerCall);
        }
        Console.WriteLine($"Median over {rounds} rounds: governed / bare throughput {Median(ratios):P0}, CPU per call {Median(cpuRatios):P0}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
