using System.Diagnostics;
using Meshwork.Tars;

namespace Meshwork.Bench.Tars;

/// <summary>
/// Bytes allocated per TARS call on the client and on the server separately: the server runs in a child process
/// (<c>alloc-server</c> mode) that reports its own <see cref="GC.GetTotalAllocatedBytes(bool)"/> when asked on stdin,
/// so neither side's allocations count against the other. Calls run at concurrency 1 and 32 after a warm-up; the
/// counts are exact totals over the measured calls divided by the calls (timers and the runtime's own background work
/// add a few bytes at most over 100,000 calls).
/// </summary>
internal static class AllocBench
{
    public readonly record struct Result(int Concurrency, long Calls, double ClientBytesPerCall, double ServerBytesPerCall, double CallsPerSecond);

    /// <summary>The child: a TARS server with the bench's echo object; prints its endpoint, then answers each stdin line with its allocated bytes.</summary>
    public static async Task<int> ServeAsync()
    {
        await using var server = CallBench.CreateServer();
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        Console.WriteLine(endpoint.ToString());
        while (Console.ReadLine() is { } line)
        {
            if (line == "quit") break;
            Console.WriteLine(GC.GetTotalAllocatedBytes(precise: true).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return 0;
    }

    public static async Task<IReadOnlyList<Result>> RunAsync(long callsPerCell)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(AllocBench).Assembly.Location);
        start.ArgumentList.Add("alloc-server");
        using var child = Process.Start(start)!;
        try
        {
            string endpoint = (await child.StandardOutput.ReadLineAsync())!;
            await using var channel = TarsChannel.ForProxy($"{CallBench.ObjectName}@{endpoint}");
            var results = new List<Result>();
            foreach (int concurrency in new[] { 1, 32 })
            {
                await CallsAsync(channel, concurrency, callsPerCell / 4);
                long serverBefore = await MarkAsync(child);
                GC.Collect();
                long clientBefore = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await CallsAsync(channel, concurrency, callsPerCell);
                double seconds = clock.Elapsed.TotalSeconds;
                long clientBytes = GC.GetTotalAllocatedBytes(precise: true) - clientBefore;
                long serverBytes = await MarkAsync(child) - serverBefore;
                results.Add(new Result(concurrency, callsPerCell, (double)clientBytes / callsPerCell, (double)serverBytes / callsPerCell, callsPerCell / seconds));
            }
            await child.StandardInput.WriteLineAsync("quit");
            await child.WaitForExitAsync();
            return results;
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
    }

    private static async Task<long> MarkAsync(Process child)
    {
        await child.StandardInput.WriteLineAsync("mark");
        await child.StandardInput.FlushAsync();
        return long.Parse((await child.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task CallsAsync(TarsChannel channel, int concurrency, long calls)
    {
        long next = 0;
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) <= calls) await CallBench.TarsEchoOnceAsync(channel);
            });
        }
        await Task.WhenAll(workers);
    }
}
