namespace Meshwork.Cli.Demo;

/// <summary>
/// Lets the demo wait for a condition on state that changes in the background (membership, call counts) without
/// polling: the owner pulses after each change and waiters re-check their condition then.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns true once <paramref name="condition"/> holds, false if <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _next).Task; // taken before the check, so a change in between is not missed
            if (condition()) return true;
            try
            {
                await changed.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return condition();
            }
        }
    }
}
