using System.Diagnostics;

namespace Meshwork.Serf.Tests;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after a generous timeout.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (await condition()) { return; }
            }
            catch (Exception e) { last = e; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for: {what}", last);
    }

    public static Task TrueAsync(Func<bool> condition, string what, double seconds = 30) =>
        TrueAsync(() => Task.FromResult(condition()), what, seconds);
}
