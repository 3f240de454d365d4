using System.Collections.Concurrent;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// A run queue drained by a bounded number of thread-pool work items instead of one work item per entry. Handing each
/// call (server) or each completion (client) to the thread pool on its own cost a work item, and usually a thread
/// wake-up and a context switch, per call; here the entries that arrive while a drainer runs are picked up by that
/// drainer, so a read that yields 30 requests costs one or two work items.
/// <para>
/// Up to <c>drainers</c> (the processor count by default) drain at once, so CPU-bound entries still use every core. An
/// entry that blocks holds up the entries behind it in its drainer's queue, so a periodic check
/// (<see cref="CheckProgress"/>, called from the connection sweep every few milliseconds) schedules one more drainer
/// whenever an entry has been waiting since the previous check: entries never wait more than about two sweep intervals
/// on one that blocks, and blocking code (including sync-over-async waits on other calls) still makes progress.
/// </para>
/// </summary>
internal sealed class RunQueue : IThreadPoolWorkItem
{
    private readonly ConcurrentQueue<IThreadPoolWorkItem> _items = new();
    private readonly int _drainers;
    private int _running;      // drainers scheduled or running
    // Each counter alone on its cache line: the producers (read loops) update one, the drainers the other, and sharing
    // a line made both pull it back and forth between the cores on every entry.
    private PaddedCounter _enqueued; // entries ever enqueued
    private PaddedCounter _dequeued; // entries ever taken by a drainer
    private long _mark = -1;   // _enqueued at the previous check
    private long _checkedMicros; // time of the previous check

    /// <summary>Checks closer together than this are ignored, so that a waiting entry always means one sweep interval of delay.</summary>
    private static readonly long MinCheckIntervalMicros = (long)(DeadlineSweeper.Resolution.TotalMicroseconds * 0.8);

    public RunQueue(int drainers = 0) => _drainers = drainers > 0 ? drainers : Environment.ProcessorCount;

    /// <summary>Entries waiting to run right now.</summary>
    public int Pending => (int)Math.Max(0, Volatile.Read(ref _enqueued.Value) - Volatile.Read(ref _dequeued.Value));

    /// <summary>Queues <paramref name="item"/>; it runs on a thread-pool thread, never on the caller's.</summary>
    public void Enqueue(IThreadPoolWorkItem item)
    {
        _items.Enqueue(item);
        Interlocked.Increment(ref _enqueued.Value);
        int running = Volatile.Read(ref _running);
        while (running < _drainers)
        {
            int seen = Interlocked.CompareExchange(ref _running, running + 1, running);
            if (seen == running)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }
            running = seen;
        }
    }

    /// <summary>Entries a drainer runs between two flushes of what they queued for sending (see <see cref="WriteBatch"/>).</summary>
    internal const int FlushEvery = 256;

    /// <summary>
    /// One drainer: runs entries until the queue is empty. The frames its entries queue (replies, the next requests of
    /// completed callers) are written by this drainer itself, every <see cref="FlushEvery"/> entries and when the queue
    /// is empty, instead of each connection's pump being woken on another thread.
    /// </summary>
    void IThreadPoolWorkItem.Execute()
    {
        WriteBatch.Open();
        try
        {
            while (true)
            {
                int sinceFlush = 0;
                while (_items.TryDequeue(out var item))
                {
                    Interlocked.Increment(ref _dequeued.Value);
                    item.Execute();
                    if (++sinceFlush == FlushEvery)
                    {
                        WriteBatch.Flush();
                        sinceFlush = 0;
                    }
                }
                WriteBatch.Flush();
                Interlocked.Decrement(ref _running);
                // An entry queued after the last TryDequeue may have seen every drainer still running and scheduled none:
                // take it over unless another drainer is (or gets) scheduled for it.
                if (_items.IsEmpty) return;
                int running = Volatile.Read(ref _running);
                if (running >= _drainers || Interlocked.CompareExchange(ref _running, running + 1, running) != running) return;
            }
        }
        finally
        {
            WriteBatch.Close();
        }
    }

    /// <summary>
    /// Called periodically: if an entry queued before the previous call is still waiting, the drainers are held up
    /// (an entry blocks), so one more drainer is scheduled beyond the limit. It ends when it finds the queue empty.
    /// </summary>
    public void CheckProgress(long nowMicros)
    {
        // Several connections may share one queue and each calls this on every sweep: one check per interval counts.
        long last = Volatile.Read(ref _checkedMicros);
        if (nowMicros - last < MinCheckIntervalMicros || Interlocked.CompareExchange(ref _checkedMicros, nowMicros, last) != last) return;
        long enqueued = Volatile.Read(ref _enqueued.Value);
        long mark = Interlocked.Exchange(ref _mark, enqueued);
        if (mark < 0 || Volatile.Read(ref _dequeued.Value) >= mark || _items.IsEmpty) return;
        Interlocked.Increment(ref _running);
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }
}
