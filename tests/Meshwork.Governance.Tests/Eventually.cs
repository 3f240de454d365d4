using System.Diagnostics;

namespace Meshwork.Governance.Tests;

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after a generous timeout.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (await condition()) return;
            if (sw.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, double seconds = 30) => TrueAsync(() => Task.FromResult(condition()), what, seconds);

    public static CancellationToken Timeout(double seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
