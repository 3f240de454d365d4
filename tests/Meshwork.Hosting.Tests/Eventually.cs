using System.Diagnostics;

namespace Meshwork.Hosting.Tests;

/// <summary>Waits on a condition instead of sleeping: returns as soon as it holds, fails with what was awaited if it never does.</summary>
internal static class Eventually
{
    /// <summary>Generous, because the suite runs on a loaded 2-core machine; a passing test never waits this long.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task Until(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Timeout) throw new TimeoutException($"timed out after {Timeout.TotalSeconds:0} s waiting until {what}");
            await Task.Delay(5);
        }
    }
}
