namespace Meshwork.Bench;

/// <summary>
/// Control channel of every benchmark server on its stdin/stdout, so the load generator can measure the server's
/// allocations for exactly its measured window. Commands, one per line:
/// <c>STATS</c> → <c>STATS &lt;GC.GetTotalAllocatedBytes(precise: true)&gt; &lt;gen0&gt; &lt;gen1&gt; &lt;gen2&gt;</c>
/// (allocated bytes since process start and collection counts; the caller takes deltas). Closing stdin stops the server.
/// </summary>
internal static class ServerControl
{
    public static async Task ServeUntilStdinClosesAsync()
    {
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line.Trim() == "STATS")
            {
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                Console.WriteLine($"STATS {allocated} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)}");
            }
            else
            {
                Console.WriteLine($"ERROR unknown control command '{line}' (expected STATS)");
            }
        }
    }
}
