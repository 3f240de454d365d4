using Meshwork.Internal;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The one log rate limiter (src/Shared/KeyedLogRateLimiter.cs, linked into Rpc, Gossip and Security): lines per key
/// per interval, suppressed counts, the bound on keys, overflow entries, thread safety and no allocation when an
/// occurrence is suppressed. Gossip's and security's own tests check their callers' lines.
/// </summary>
public class KeyedLogRateLimiterTests
{
    [Fact]
    public void Each_key_logs_once_per_interval_and_the_next_line_carries_the_suppressed_count()
    {
        var clock = new ManualClock();
        var limiter = new KeyedLogRateLimiter<(string, int)>(TimeSpan.FromSeconds(10), maxKeys: 8, clock);
        Assert.True(limiter.TryAcquire(("a", 1), out long suppressed));
        Assert.Equal(0, suppressed);
        for (int i = 0; i < 5; i++) Assert.False(limiter.TryAcquire(("a", 1), out _));
        Assert.True(limiter.TryAcquire(("a", 2), out _)); // another category is another key
        Assert.True(limiter.TryAcquire(("b", 1), out _));
        clock.Advance(TimeSpan.FromSeconds(9.999));
        Assert.False(limiter.TryAcquire(("a", 1), out _));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(("a", 1), out suppressed));
        Assert.Equal(6, suppressed);
        Assert.False(limiter.TryAcquire(("a", 1), out _));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire(("a", 1), out suppressed));
        Assert.Equal(1, suppressed);
    }

    [Fact]
    public void A_zero_interval_logs_every_occurrence_and_remembers_nothing()
    {
        var limiter = new KeyedLogRateLimiter<int>(TimeSpan.Zero, maxKeys: 1);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(limiter.TryAcquire(i % 3, out long suppressed));
            Assert.Equal(0, suppressed);
        }
        Assert.Equal(0, limiter.Count);
    }

    [Fact]
    public void Keys_beyond_the_bound_share_one_overflow_entry_which_counts_what_it_suppressed()
    {
        var clock = new ManualClock();
        var limiter = new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(10), maxKeys: 100, clock);
        for (int k = 0; k < 100; k++) Assert.True(limiter.TryAcquire(k, out _, out bool overflow) && !overflow);

        Assert.True(limiter.TryAcquire(1000, out _, out bool first));
        Assert.True(first);
        for (int k = 1001; k < 11_000; k++) Assert.False(limiter.TryAcquire(k, out _, out _));
        Assert.Equal(100, limiter.TrackedKeys);
        Assert.Equal(101, limiter.Count);

        // The tracked keys still have their own entries while the table is full.
        Assert.False(limiter.TryAcquire(5, out _, out bool tracked));
        Assert.False(tracked);

        // Once the interval passed, stale keys are dropped and a new key gets its own entry again.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire(20_000, out long suppressed, out bool overflowAgain));
        Assert.False(overflowAgain);
        Assert.Equal(0, suppressed);
        Assert.True(limiter.TrackedKeys <= 100);
    }

    [Fact]
    public void With_an_overflow_key_function_each_category_has_its_own_overflow_entry()
    {
        var clock = new ManualClock();
        var limiter = new SourceLogRateLimiter(TimeSpan.FromSeconds(10), "(others)", clock);
        for (int i = 0; i < SourceLogRateLimiter.MaxSources; i++) Assert.True(limiter.ShouldLog($"10.1.{i / 256}.{i % 256}", 1, out _));

        // Category 1 and category 2 each get one overflow line, then share nothing with each other.
        Assert.True(limiter.ShouldLog("10.9.0.0", 1, out _));
        Assert.True(limiter.ShouldLog("10.9.0.1", 2, out _));
        for (int i = 0; i < 7; i++) Assert.False(limiter.ShouldLog($"10.9.1.{i}", 1, out _));
        for (int i = 0; i < 3; i++) Assert.False(limiter.ShouldLog($"10.9.2.{i}", 2, out _));
        Assert.Equal(SourceLogRateLimiter.MaxSources + 2, limiter.Count);

        // After the interval the tracked sources log again (so pruning frees nothing), and each overflow line reports
        // what its own category suppressed.
        clock.Advance(TimeSpan.FromSeconds(10));
        for (int i = 0; i < SourceLogRateLimiter.MaxSources; i++) Assert.True(limiter.ShouldLog($"10.1.{i / 256}.{i % 256}", 1, out _));
        Assert.True(limiter.ShouldLog("10.9.3.0", 1, out long suppressed1));
        Assert.Equal(7, suppressed1);
        Assert.True(limiter.ShouldLog("10.9.3.1", 2, out long suppressed2));
        Assert.Equal(3, suppressed2);
    }

    [Fact]
    public void A_suppressed_occurrence_allocates_nothing_also_when_the_table_is_full()
    {
        var limiter = new SourceLogRateLimiter(TimeSpan.FromHours(1), "(others)");
        var sources = Enumerable.Range(0, SourceLogRateLimiter.MaxSources + 64).Select(i => $"10.2.{i / 256}.{i % 256}").ToArray();
        foreach (var s in sources) limiter.ShouldLog(s, 7, out _);
        // Warm up both paths (a tracked key and an overflowing one) so JIT and tiering are out of the measurement.
        for (int i = 0; i < 1000; i++)
        {
            limiter.ShouldLog(sources[0], 7, out _);
            limiter.ShouldLog(sources[^1], 7, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.False(limiter.ShouldLog(sources[i % 100], 7, out _));
            Assert.False(limiter.ShouldLog(sources[^(1 + (i % 64))], 7, out _));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Concurrent_callers_log_each_key_once_and_lose_no_occurrence()
    {
        var clock = new ManualClock();
        var limiter = new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(10), maxKeys: 64, clock);
        const int threads = 8, perThread = 20_000, keys = 16;
        long logged = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < perThread; i++)
            {
                if (limiter.TryAcquire((i + t) % keys, out _)) Interlocked.Increment(ref logged);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.Equal(keys, logged);

        // Every occurrence not logged was counted: the next line of each key reports them all.
        clock.Advance(TimeSpan.FromSeconds(10));
        long reported = 0;
        for (int k = 0; k < keys; k++)
        {
            Assert.True(limiter.TryAcquire(k, out long suppressed));
            reported += suppressed;
        }
        Assert.Equal((long)threads * perThread - keys, reported);
    }

    [Fact]
    public void Nonsense_settings_are_refused_and_huge_intervals_do_not_wrap()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedLogRateLimiter<int>(TimeSpan.FromTicks(-1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(1), 0));
        var clock = new ManualClock();
        var limiter = new KeyedLogRateLimiter<int>(TimeSpan.MaxValue, 1, clock);
        Assert.True(limiter.TryAcquire(1, out _));
        clock.Advance(TimeSpan.FromDays(365));
        Assert.False(limiter.TryAcquire(1, out _));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay; // not zero, as a real clock

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
