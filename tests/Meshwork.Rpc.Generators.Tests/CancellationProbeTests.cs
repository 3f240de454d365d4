namespace Meshwork.Rpc.Generators.Tests.EndToEnd;

/// <summary>
/// <see cref="EndToEndTests.WithCancellationCancelsAServerStream"/> learns from <see cref="Calculator.ForeverCancelled"/>
/// that the server cancelled the handler. A token runs its callbacks newest first, on the thread that cancels it (for a
/// server call, the connection's read loop handling the client's Cancel frame); the newest is the one of the handler's
/// pending <c>Task.Delay</c>, which ends the handler. When the handler runs to its end on another thread before the
/// cancelling thread has reached the older callbacks, whatever the handler unregistered on the way out never runs.
/// This forces that order: a callback registered between the handler's own and its delay's holds the cancelling thread
/// until the handler has ended, as a preempted read loop does while a thread-pool thread finishes the handler.
/// </summary>
public sealed class CancellationProbeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ForeverReportsItsCancellationWhenItEndsBeforeItsOlderCallbacksRun()
    {
        // On the thread pool, as a handler runs: no test synchronization context for the handler's awaits to wait for.
        var (ended, reported) = await Task.Run(CancelWhileHeldAsync);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ended);
        Assert.True(reported, "the handler ended cancelled but did not report it");
    }

    private static async Task<(Task Ended, bool Reported)> CancelWhileHeldAsync()
    {
        var impl = new Calculator();
        using var cts = new CancellationTokenSource();
        var items = impl.ForeverAsync(cts.Token).GetAsyncEnumerator();
        // The handler has started: what it registered on the token is older than anything registered from here on.
        Assert.True(await items.MoveNextAsync().ConfigureAwait(false));
        Task? ended = null;
        using (cts.Token.Register(() => ((IAsyncResult)ended!).AsyncWaitHandle.WaitOne(s_timeout)))
        {
            ended = DrainAsync(items); // the handler now waits in Task.Delay, whose callback is the newest
            cts.Cancel();
        }
        Assert.True(ended.IsCompleted, "the handler did not end while the cancelling thread was held");
        bool reported = impl.ForeverCancelled.Task.IsCompleted;
        await items.DisposeAsync().ConfigureAwait(false);
        return (ended, reported);
    }

    private static async Task DrainAsync(IAsyncEnumerator<int> items)
    {
        while (await items.MoveNextAsync().ConfigureAwait(false))
        {
        }
    }
}
