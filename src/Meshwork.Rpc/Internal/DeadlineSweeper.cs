namespace Meshwork.Rpc.Internal;

/// <summary>
/// One process-wide timer that ticks every <see cref="Resolution"/> and lets each live connection expire deadlines,
/// send heartbeats and close when idle. A timer per call would cost an allocation and a timer-queue entry per call;
/// this costs one scan per tick of connections that actually have deadline-bearing calls.
/// </summary>
internal static class DeadlineSweeper
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(5);

    private static readonly object s_lock = new();
    private static readonly List<ISweepable> s_items = new();
    private static ISweepable[] s_snapshot = [];
    private static Timer? s_timer;
    private static int s_running;

    public interface ISweepable
    {
        /// <summary>Returns false when the item is finished and should be dropped.</summary>
        bool Sweep(long nowMicros);
    }

    public static void Register(ISweepable item)
    {
        // The coarse clock stops with the timer: bring it up to date before the new item reads it.
        Clock.RefreshCoarse();
        lock (s_lock)
        {
            s_items.Add(item);
            s_snapshot = s_items.ToArray();
            s_timer ??= new Timer(static _ => Tick(), null, Resolution, Resolution);
        }
    }

    private static void Tick()
    {
        // Skip a tick rather than overlap if the previous one is still running.
        if (Interlocked.Exchange(ref s_running, 1) == 1) return;
        try
        {
            long now = Clock.RefreshCoarse();
            List<ISweepable>? dead = null;
            foreach (var item in s_snapshot)
            {
                bool alive;
                try
                {
                    alive = item.Sweep(now);
                }
                catch (Exception)
                {
                    // One faulty item must neither crash the timer thread nor starve the others; keep it and move on.
                    alive = true;
                }
                if (!alive) (dead ??= new()).Add(item);
            }
            if (dead is not null)
            {
                lock (s_lock)
                {
                    foreach (var d in dead) s_items.Remove(d);
                    s_snapshot = s_items.ToArray();
                    if (s_items.Count == 0)
                    {
                        // Nothing to watch: stop waking up 200 times a second until a connection registers again.
                        s_timer?.Dispose();
                        s_timer = null;
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref s_running, 0);
        }
    }
}
