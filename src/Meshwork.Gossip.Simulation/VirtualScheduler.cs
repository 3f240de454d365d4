namespace Meshwork.Gossip.Simulation;

/// <summary>Discrete-event scheduler over virtual time; ties are broken by insertion order so runs replay exactly.</summary>
public sealed class VirtualScheduler
{
    private readonly PriorityQueue<Entry, (long, long)> _queue = new();
    private long _seq;

    /// <summary>Current virtual time.</summary>
    public TimeSpan Now { get; private set; }

    /// <summary>Number of events executed so far.</summary>
    public long Executed { get; private set; }

    /// <summary>Schedules <paramref name="action"/> at <paramref name="delay"/> from now; dispose the handle to cancel.</summary>
    public IDisposable At(TimeSpan delay, Action action)
    {
        if (delay < TimeSpan.Zero) { delay = TimeSpan.Zero; }
        var entry = new Entry(action);
        var due = Now + delay;
        _queue.Enqueue(entry, (due.Ticks, _seq++));
        return entry;
    }

    /// <summary>Runs events until virtual time reaches <paramref name="until"/> or <paramref name="stop"/> returns true.</summary>
    public void RunUntil(TimeSpan until, Func<bool>? stop = null)
    {
        while (_queue.TryPeek(out _, out var key))
        {
            if (key.Item1 > until.Ticks) { break; }
            var entry = _queue.Dequeue();
            Now = TimeSpan.FromTicks(key.Item1);
            if (entry.Cancelled) { continue; }
            entry.Cancelled = true;
            Executed++;
            entry.Action();
            if (stop?.Invoke() == true) { return; }
        }
        if (Now < until) { Now = until; }
    }

    private sealed class Entry(Action action) : IDisposable
    {
        public Action Action { get; } = action;
        public bool Cancelled { get; set; }
        public void Dispose() => Cancelled = true;
    }
}
