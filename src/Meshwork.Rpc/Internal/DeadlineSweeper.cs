namespace Meshwork.Rpc.Internal;

/// <summary>
/// One process-wide thread that wakes every <see cref="Resolution"/> and lets each live connection expire deadlines,
/// send heartbeats and close when idle. A timer per call would cost an allocation and a timer-queue entry per call;
/// this costs one scan per tick of connections that actually have deadline-bearing calls.
/// <para>
/// A thread of its own rather than a <see cref="Timer"/>: a timer's callback is a thread-pool work item, and a worker
/// woken for it spins (<c>sched_yield</c>) for a while after the tick before it sleeps again. With the connections'
/// work on reader threads, these 200 ticks a second were nearly all the thread-pool work of a busy process, and their
/// spinning two thirds of its context switches (bench, interleaved pairs: 0.05-0.06 against 0.02 switches per call at 64 callers).
/// </para>
/// <para>
/// Being one thread, it must never run code of a caller or a handler: a cancellation fires the handler's token
/// callbacks and continuations inline, and a close fails calls. What a sweep decides (expiring a handler, closing or
/// aborting a connection) goes through <see cref="Offload"/>, so a continuation that blocks cannot stop the deadlines
/// and heartbeats of every other connection in the process. Writes (heartbeats, cancels) stay on the sweeper: they
/// only queue bytes.
/// </para>
/// </summary>
internal static class DeadlineSweeper
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(5);

    private static readonly object s_lock = new();
    private static readonly List<ISweepable> s_items = new();
    private static ISweepable[] s_snapshot = [];
    private static Thread? s_thread; // under s_lock; null while nothing is registered

    public interface ISweepable
    {
        /// <summary>Returns false when the item is finished and should be dropped.</summary>
        bool Sweep(long nowMicros);
    }

    public static void Register(ISweepable item)
    {
        // The coarse clock stops with the thread: bring it up to date before the new item reads it.
        Clock.RefreshCoarse();
        lock (s_lock)
        {
            s_items.Add(item);
            s_snapshot = s_items.ToArray();
            if (s_thread is null)
            {
                // Unsafe: the registering caller's execution context (its Activity, its AsyncLocals) must not be the
                // context every sweep runs in.
                s_thread = new Thread(Run) { IsBackground = true, Name = "Meshwork sweeper" };
                s_thread.UnsafeStart();
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> on the thread pool: for sweep decisions that can reach user code.</summary>
    public static void Offload<TState>(Action<TState> action, TState state) =>
        ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);

    private static void Run()
    {
        while (true)
        {
            Thread.Sleep(Resolution);
            Tick();
            lock (s_lock)
            {
                // Nothing to watch: stop waking up 200 times a second; the next registration starts a new thread.
                if (s_items.Count == 0)
                {
                    s_thread = null;
                    return;
                }
            }
        }
    }

    private static void Tick()
    {
        long now = Clock.RefreshCoarse();
        List<ISweepable>? dead = null;
        foreach (var item in Volatile.Read(ref s_snapshot))
        {
            bool alive;
            try
            {
                alive = item.Sweep(now);
            }
            catch (Exception)
            {
                // One faulty item must neither end the sweeper nor starve the others; keep it and move on.
                alive = true;
            }
            if (!alive) (dead ??= new()).Add(item);
        }
        if (dead is null) return;
        lock (s_lock)
        {
            foreach (var d in dead) s_items.Remove(d);
            s_snapshot = s_items.ToArray();
        }
    }
}
