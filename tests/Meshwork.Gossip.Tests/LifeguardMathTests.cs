namespace Meshwork.Gossip.Tests;

public class LifeguardMathTests
{
    [Fact]
    public void Suspicion_timeouts_match_the_reference_examples()
    {
        // 2-3 nodes: k = 0, timer = min = 4 s; 10 nodes: min 4 s, max 24 s.
        Assert.Equal(TimeSpan.FromSeconds(4), Suspicion.MinTimeout(4, 3, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(4), Suspicion.MinTimeout(4, 10, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(8), Suspicion.MinTimeout(4, 100, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Confirmations_shrink_the_timeout_towards_min()
    {
        var min = TimeSpan.FromSeconds(4);
        var max = TimeSpan.FromSeconds(24);
        var none = Suspicion.RemainingTimeout(0, 2, TimeSpan.Zero, min, max);
        var one = Suspicion.RemainingTimeout(1, 2, TimeSpan.Zero, min, max);
        var two = Suspicion.RemainingTimeout(2, 2, TimeSpan.Zero, min, max);
        Assert.Equal(max, none);
        Assert.True(one < none && one > two);
        Assert.Equal(min, two);
        Assert.Equal(TimeSpan.FromSeconds(1), Suspicion.RemainingTimeout(2, 2, TimeSpan.FromSeconds(3), min, max));
    }

    [Fact]
    public void Awareness_is_clamped_and_scales_timeouts()
    {
        var a = new Awareness(8);
        a.ApplyDelta(-3);
        Assert.Equal(0, a.Score);
        a.ApplyDelta(20);
        Assert.Equal(7, a.Score);
        Assert.Equal(TimeSpan.FromSeconds(8), a.Scale(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Broadcast_queue_limits_transmits_and_replaces_by_key()
    {
        var q = new TransmitLimitedQueue(4, () => 10);
        Assert.Equal(8, TransmitLimitedQueue.RetransmitLimit(4, 10));
        var finished = 0;
        q.Enqueue([1, 2, 3], "a", () => finished++);
        q.Enqueue([4, 5, 6], "a");
        Assert.Equal(1, finished);
        Assert.Equal(1, q.Count);
        for (var i = 0; i < 8; i++) { Assert.Single(q.GetBroadcasts(2, 100)); }
        Assert.Empty(q.GetBroadcasts(2, 100));
    }

    [Fact]
    public void Broadcast_queue_respects_the_byte_budget_and_prefers_fresh_messages()
    {
        var q = new TransmitLimitedQueue(4, () => 10);
        q.Enqueue(new byte[50], "a");
        q.Enqueue(new byte[50], "b");
        Assert.Single(q.GetBroadcasts(2, 60));
        var second = q.GetBroadcasts(2, 60);
        Assert.Single(second);
        Assert.Equal(2, q.GetBroadcasts(2, 200).Count);
    }

    [Fact]
    public void Push_pull_interval_scales_past_32_nodes()
    {
        var i = TimeSpan.FromSeconds(30);
        Assert.Equal(i, MemberlistCore.PushPullScale(i, 32));
        Assert.Equal(i * 2, MemberlistCore.PushPullScale(i, 33));
        Assert.Equal(i * 6, MemberlistCore.PushPullScale(i, 1000));
    }
}
