using Meshwork.Security.Internal;

namespace Meshwork.Security.Tests;

public class FailureLogLimiterTests
{
    [Fact]
    public void Refusals_from_many_addresses_share_a_bounded_table()
    {
        var limiter = new FailureLogLimiter(TimeSpan.FromHours(1), TimeProvider.System);
        int logged = 0;
        for (int i = 0; i < FailureLogLimiter.MaxEntries + 1000; i++)
        {
            if (limiter.ShouldLog($"10.0.{i / 256}.{i % 256}", 1, out _)) logged++;
        }
        // Each new address logs once until the table is full; then they all share the overflow entry, which logs once.
        Assert.Equal(FailureLogLimiter.MaxEntries + 1, logged);
        Assert.Equal(FailureLogLimiter.MaxEntries + 1, limiter.Count); // plus the overflow entry of this reason
        Assert.False(limiter.ShouldLog("10.0.0.0", 1, out _));
    }

    [Fact]
    public void The_next_line_after_the_interval_says_how_many_were_suppressed()
    {
        var clock = new ManualClock();
        var limiter = new FailureLogLimiter(TimeSpan.FromSeconds(10), clock);
        Assert.True(limiter.ShouldLog("10.0.0.1", 1, out long suppressed));
        Assert.Equal(0, suppressed);
        for (int i = 0; i < 7; i++) Assert.False(limiter.ShouldLog("10.0.0.1", 1, out _));
        Assert.True(limiter.ShouldLog("10.0.0.2", 1, out _)); // another address has its own line
        Assert.True(limiter.ShouldLog("10.0.0.1", 2, out _)); // and so has another reason
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.ShouldLog("10.0.0.1", 1, out suppressed));
        Assert.Equal(7, suppressed);
    }

    [Theory]
    [InlineData("10.0.0.7:51234", "10.0.0.7")]
    [InlineData("[::1]:5000", "::1")]
    [InlineData("unix-peer", "unix-peer")]
    public void The_source_is_the_address_without_the_port(string peer, string source) => Assert.Equal(source, FailureLogLimiter.SourceOf(peer));
}
