namespace Meshwork.Governance.Tests;

/// <summary>
/// Callers looping on one call until stopped, counting successes and keeping every failure: the load that drain,
/// restart and kill tests run while they change the cluster underneath.
/// </summary>
internal sealed class CallLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Exception> _failures = [];
    private readonly Task[] _workers;
    private int _succeeded;

    /// <summary>Starts <paramref name="workers"/> callers; each calls <paramref name="call"/> with its worker index.</summary>
    public CallLoad(Func<int, Task> call, int workers = 4)
    {
        _workers = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await call(worker);
                    Interlocked.Increment(ref _succeeded);
                }
                catch (Exception e)
                {
                    lock (_failures) _failures.Add(e);
                }
            }
        })).ToArray();
    }

    /// <summary>Calls that succeeded so far.</summary>
    public int Succeeded => Volatile.Read(ref _succeeded);

    /// <summary>Stops the callers, waits for their last calls, and returns every failure seen.</summary>
    public async Task<IReadOnlyList<Exception>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        lock (_failures) return _failures.ToArray();
    }

    /// <summary>Stops the callers if a test ended early.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
