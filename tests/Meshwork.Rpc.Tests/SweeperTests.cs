using Meshwork.Rpc.Internal;
using Meshwork.Testing;

namespace Meshwork.Rpc.Tests;

/// <summary>The process-wide sweeper (deadlines, heartbeats, idle closes, rescues) runs on a thread of its own.</summary>
public class SweeperTests
{
    private sealed class Probe(int sweepsWanted) : DeadlineSweeper.ISweepable
    {
        private int _sweeps;
        public int Sweeps => Volatile.Read(ref _sweeps);
        public bool SweptOnThreadPool { get; private set; }
        public string? ThreadName { get; private set; }

        public bool Sweep(long nowMicros)
        {
            SweptOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            ThreadName = Thread.CurrentThread.Name;
            return Interlocked.Increment(ref _sweeps) < sweepsWanted;
        }
    }

    [Fact]
    public async Task Sweeps_run_on_the_sweeper_thread_not_on_the_thread_pool_and_a_finished_item_is_dropped()
    {
        var finishing = new Probe(sweepsWanted: 3);
        DeadlineSweeper.Register(finishing);
        await Eventually.TrueAsync(() => finishing.Sweeps == 3, "the item was swept until it said it was finished");
        // A thread-pool worker woken for every tick spins before it sleeps again: the ticks must not be work items.
        Assert.False(finishing.SweptOnThreadPool);
        Assert.Equal("Meshwork sweeper", finishing.ThreadName);

        // Over three ticks after a later registration, the finished item was not swept again.
        var later = new Probe(sweepsWanted: 3);
        DeadlineSweeper.Register(later);
        await Eventually.TrueAsync(() => later.Sweeps == 3, "the later item was swept");
        Assert.Equal(3, finishing.Sweeps);
        Assert.False(later.SweptOnThreadPool);
    }
}
