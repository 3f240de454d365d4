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
    public static async Task RunAsync()
    {
        await using var cluster = await EchoCluster.StartAsync(1);
        await using var bare = RpcChannel.ForAddress(cluster.Address(0));
        await using var governed = new GovernedCallInvoker(new StaticServiceRegistry(cluster.Instances), new GovernanceOptions());
        await governed.WaitForEndpointsAsync("bench", e => e.Count == 1);
        var warmup = TimeSpan.FromSeconds(1);
        var duration = TimeSpan.FromSeconds(4);
        Console.WriteLine();
        Console.WriteLine("Pipeline, c=64, one in-process echo server, 4 s per cell after 1 s warm-up");
        Console.WriteLine("| round | client | calls/s | p50 µs | p99 µs | failed |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        for (int round = 1; round <= 2; round++)
        {
            var b = await ClosedLoop.RunAsync(bare, 64, warmup, duration);
            Console.WriteLine($"| {round} | bare RpcChannel | {b.PerSecond:N0} | {b.P50Micros:N0} | {b.P99Micros:N0} | {b.Failures} |");
            var g = await ClosedLoop.RunAsync(governed, 64, warmup, duration);
            Console.WriteLine($"| {round} | GovernedCallInvoker | {g.PerSecond:N0} | {g.P50Micros:N0} | {g.P99Micros:N0} | {g.Failures} |");
            Console.WriteLine($"|  | governed / bare | {g.PerSecond / b.PerSecond:P0} |  |  |  |");
        }
    }
}
