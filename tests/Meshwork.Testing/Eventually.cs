using System.Diagnostics;

namespace Meshwork.Testing;

/// <summary>
/// Waits on a condition instead of sleeping: polls until it holds and fails with a description of what was awaited
/// after a generous timeout (tests run on loaded 2-core machines). Polling starts fast and backs off, so quick
/// conditions are seen at once and slow ones do not burn CPU.
/// </summary>
public static class Eventually
{
    /// <summary>Default timeout in seconds: long enough for a loaded machine, short enough to fail a broken test.</summary>
    public const double DefaultSeconds = 30;

    /// <summary><see cref="DefaultSeconds"/> as a span, for <c>WaitAsync</c> on tasks that must complete.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(DefaultSeconds);

    /// <summary>A token that cancels after <paramref name="seconds"/>, for awaits that must finish within the test's patience.</summary>
    public static CancellationToken Token(double seconds = DefaultSeconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls until <paramref name="condition"/> returns true; an exception from it counts as "not yet" and is attached to the timeout.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = DefaultSeconds)
    {
        var sw = Stopwatch.StartNew();
        var poll = FirstPoll;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e)
            {
                last = e;
            }
            if (sw.Elapsed >= TimeSpan.FromSeconds(seconds)) break;
            await Task.Delay(poll);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, MaxPoll.Ticks));
        }
        throw new TimeoutException($"timed out after {seconds:0.#} s waiting for: {what}", last);
    }

    /// <summary>Synchronous-condition form of <see cref="TrueAsync(Func{Task{bool}}, string, double)"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, double seconds = DefaultSeconds) =>
        TrueAsync(() => Task.FromResult(condition()), what, seconds);

    /// <summary>Polls <paramref name="probe"/> until it returns a value that satisfies <paramref name="accept"/>, and returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> accept, string what, double seconds = DefaultSeconds)
    {
        T value = default!;
        await TrueAsync(async () => accept(value = await probe()), what, seconds);
        return value;
    }
}
