namespace Meshwork.Rpc.Internal;

/// <summary>
/// Stream flow control: the sender spends one credit per message and waits when it has none; the receiver grants
/// credits back as its consumer drains messages. Keeps every stream's buffered messages bounded by the window.
/// </summary>
internal sealed class CreditGate
{
    private readonly object _lock = new();
    private long _credits;
    private TaskCompletionSource? _waiter;
    private Exception? _closed;

    public CreditGate(long initial) => _credits = initial;

    public void Grant(long credits)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _credits += credits;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
    }

    /// <summary>Fails current and future waits with <paramref name="reason"/> (the call ended).</summary>
    public void Close(Exception reason)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _closed ??= reason;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetException(reason);
    }

    public ValueTask TakeAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            if (_closed is not null) return ValueTask.FromException(_closed);
            if (_credits > 0)
            {
                _credits--;
                return ValueTask.CompletedTask;
            }
        }
        return TakeSlowAsync(ct);
    }

    private async ValueTask TakeSlowAsync(CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed is not null) throw _closed;
                if (_credits > 0)
                {
                    _credits--;
                    return;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }
}
