using System.Diagnostics;

namespace Meshwork.Bench.Tars;

/// <summary>
/// Runs an operation in batches for a fixed time and reports operations per second (median of the rounds) and bytes
/// allocated per operation on this thread. The Node script measures the same way (batches, rounds, median).
/// </summary>
internal static class Measure
{
    public readonly record struct Result(double OpsPerSecond, double BytesPerOp);

    public static Result Run(Func<int> operation, TimeSpan warmup, TimeSpan round, int rounds)
    {
        const int batch = 1000;
        int sink = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < warmup)
        {
            for (int i = 0; i < batch; i++) sink += operation();
        }
        var rates = new List<double>();
        long ops = 0, allocated = 0;
        for (int r = 0; r < rounds; r++)
        {
            long roundOps = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            clock.Restart();
            while (clock.Elapsed < round)
            {
                for (int i = 0; i < batch; i++) sink += operation();
                roundOps += batch;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            ops += roundOps;
            rates.Add(roundOps / seconds);
        }
        GC.KeepAlive(sink);
        rates.Sort();
        return new Result(rates[rates.Count / 2], (double)allocated / ops);
    }
}
