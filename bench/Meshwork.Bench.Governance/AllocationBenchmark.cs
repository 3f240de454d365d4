using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc.Client;

namespace Meshwork.Bench.Governance;

/// <summary>
/// Bytes allocated per call, governed vs bare, to the same in-process echo server: the process's whole allocation
/// (<see cref="GC.GetTotalAllocatedBytes"/>, precise) over a fixed number of calls, divided by the calls. Server and
/// client share the process, so each figure holds the server's share too; that share is the same for both clients,
/// so the difference between the two rows is what the governed pipeline adds. Does not depend on the machine's load.
/// The CPU time per call (all threads, user and kernel) is less disturbed by other processes than calls per second.
/// Also: <c>profile governed|bare SECONDS</c> runs one client alone at c=64, for a sampling profiler attached to the process.
/// </summary>
internal static class AllocationBenchmark
{
    public static async Task RunAsync()
    {
        await using var cluster = await EchoCluster.StartAsync(1);
        await using var bare = RpcChannel.ForAddress(cluster.Address(0));
        await using var governed = new GovernedCallInvoker(new StaticServiceRegistry(cluster.Instances), new GovernanceOptions());
        await governed.WaitForEndpointsAsync("bench", e => e.Count == 1);
        Console.WriteLine();
        Console.WriteLine("Allocated bytes and CPU time per call (whole process: client + in-process server), 3 rounds");
        Console.WriteLine("| round | concurrency | bare B/call | governed B/call | governed − bare | bare CPU µs/call | governed CPU µs/call | governed / bare CPU |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int concurrency in new[] { 1, 64 })
        {
            int calls = concurrency == 1 ? 20_000 : 200_000;
            await MeasureAsync(bare, concurrency, calls / 4);
            await MeasureAsync(governed, concurrency, calls / 4);
            for (int round = 1; round <= 3; round++)
            {
                var (b, bCpu) = await MeasureAsync(bare, concurrency, calls);
                var (g, gCpu) = await MeasureAsync(governed, concurrency, calls);
                Console.WriteLine($"| {round} | {concurrency} | {b:N0} | {g:N0} | {g - b:N0} | {bCpu:N2} | {gCpu:N2} | {gCpu / bCpu:P0} |");
            }
        }
    }

    public static async Task ProfileAsync(string which, double seconds)
    {
        await using var cluster = await EchoCluster.StartAsync(1);
        await using var bare = RpcChannel.ForAddress(cluster.Address(0));
        await using var governed = new GovernedCallInvoker(new StaticServiceRegistry(cluster.Instances), new GovernanceOptions());
        await governed.WaitForEndpointsAsync("bench", e => e.Count == 1);
        CallInvoker client = which == "bare" ? bare : governed;
        Console.WriteLine($"profile: {which}, c=64, {seconds} s, pid {Environment.ProcessId}");
        // A long warm-up: tiered compilation (and its instrumented tier) must be done before the samples start.
        var r = await ClosedLoop.RunAsync(client, 64, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"{which}: {r.PerSecond:N0} calls/s, p50 {r.P50Micros:N0} µs, p99 {r.P99Micros:N0} µs, failed {r.Failures}");
    }

    /// <summary>Bytes allocated and CPU time used (all threads of the process, user and kernel) per call, over <paramref name="calls"/> calls.</summary>
    private static async Task<(double Bytes, double CpuMicros)> MeasureAsync(CallInvoker invoker, int concurrency, int calls)
    {
        long remaining = calls;
        GC.Collect();
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0) await invoker.UnaryAsync(EchoCluster.Echo, "x");
            });
        }
        await Task.WhenAll(workers);
        long after = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return ((after - before) / (double)calls, cpu.TotalMicroseconds / calls);
    }
}
