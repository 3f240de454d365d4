namespace Meshwork.Bench;

/// <summary>
/// Control channel of every benchmark server on its stdin/stdout, so the load generator can measure the server's
/// allocations for exactly its measured window. Commands, one per line:
/// <c>STATS</c> → <c>STATS &lt;GC.GetTotalAllocatedBytes(precise: true)&gt; &lt;gen0&gt; &lt;gen1&gt; &lt;gen2&gt; &lt;cpu µs&gt;
/// &lt;thread-pool work items&gt; &lt;voluntary switches&gt; &lt;involuntary switches&gt;</c> (allocated bytes since process start,
/// collection counts and <see cref="ProcessCounters"/>; the caller takes deltas);
/// <c>ALLOCS</c> → with <c>--alloc-sample</c> among the server's arguments, the sampled allocations by type since the last
/// ALLOCS or ALLOCS-RESET on stderr (see <see cref="AllocationSampler"/>), then <c>ALLOCS done</c>; <c>ALLOCS-RESET</c>
/// → forgets the samples so far, then <c>ALLOCS done</c>. Closing stdin stops the server.
/// </summary>
internal static class ServerControl
{
    /// <summary>The diagnostic switch: sample allocations by type (see <see cref="AllocationSampler"/>).</summary>
    public const string AllocationSampleSwitch = "--alloc-sample";

    public static async Task ServeUntilStdinClosesAsync(string[] args)
    {
        using var sampler = args.Contains(AllocationSampleSwitch) ? new AllocationSampler() : null;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line.Trim())
            {
                case "STATS":
                    long allocated = GC.GetTotalAllocatedBytes(precise: true);
                    Console.WriteLine($"STATS {allocated} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {ProcessCounters.Read().ToStatsFields()}");
                    break;
                case "ALLOCS":
                    if (sampler is not null)
                    {
                        var top = sampler.TakeTop(8);
                        long total = Math.Max(1, top.Sum(t => t.Bytes));
                        foreach (var (type, bytes) in top) await Console.Error.WriteLineAsync($"    {bytes * 100.0 / total,5:N1} %  {type}");
                    }
                    Console.WriteLine("ALLOCS done");
                    break;
                case "ALLOCS-RESET":
                    sampler?.TakeTop(0);
                    Console.WriteLine("ALLOCS done");
                    break;
                default:
                    Console.WriteLine($"ERROR unknown control command '{line}' (expected STATS or ALLOCS)");
                    break;
            }
        }
    }
}
