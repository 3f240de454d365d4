using Meshwork.Discovery;
using Meshwork.Governance.Balancing;

namespace Meshwork.Governance.Tests;

/// <summary>Statistical properties of each balancer's picks (counts only, no timing).</summary>
public class BalancerDistributionTests
{
    private static InstanceEndpoint[] Endpoints(params int[] weights) =>
        weights.Select((w, i) => new InstanceEndpoint(new ServiceInstance("svc", $"10.0.0.{i + 1}:7000") { Weight = w, Node = "n" + i })).ToArray();

    private static Dictionary<InstanceEndpoint, int> Count(IPicker picker, int picks, Func<int, string?>? key = null)
    {
        var counts = new Dictionary<InstanceEndpoint, int>();
        for (int i = 0; i < picks; i++)
        {
            var e = picker.Pick(new PickContext(key?.Invoke(i)));
            counts[e] = counts.GetValueOrDefault(e) + 1;
        }
        return counts;
    }

    [Fact]
    public void Round_robin_is_exactly_even()
    {
        var eps = Endpoints(100, 100, 100, 100);
        var counts = Count(new RoundRobinBalancer().CreatePicker(eps), 4000);
        Assert.All(eps, e => Assert.Equal(1000, counts[e]));
    }

    [Fact]
    public void Random_is_roughly_even()
    {
        var eps = Endpoints(100, 100, 100, 100);
        var counts = Count(new RandomBalancer().CreatePicker(eps), 40_000);
        Assert.All(eps, e => Assert.InRange(counts[e], 9_000, 11_000));
    }

    [Fact]
    public void Smooth_weighted_round_robin_gives_exact_shares_and_interleaves()
    {
        var eps = Endpoints(100, 100, 200, 400);
        var picker = new SmoothWeightedRoundRobinBalancer().CreatePicker(eps);
        var counts = Count(picker, 800);
        Assert.Equal([100, 100, 200, 400], eps.Select(e => counts[e]));
        // Smooth: the heaviest never gets more than two picks in a row with weights 1:1:2:4.
        int run = 0, longest = 0;
        InstanceEndpoint? previous = null;
        for (int i = 0; i < 800; i++)
        {
            var e = picker.Pick(default);
            run = e == previous ? run + 1 : 1;
            longest = Math.Max(longest, run);
            previous = e;
        }
        Assert.True(longest <= 2, $"longest run {longest}");
    }

    [Fact]
    public void Least_outstanding_avoids_busy_endpoints()
    {
        var eps = Endpoints(100, 100, 100, 100);
        for (int i = 0; i < 3; i++) eps[0].OnStarted();
        eps[1].OnStarted();
        eps[2].OnStarted();
        var counts = Count(new LeastOutstandingBalancer().CreatePicker(eps), 1000);
        Assert.Equal(1000, counts.GetValueOrDefault(eps[3]));
    }

    [Fact]
    public void P2c_steers_away_from_the_slow_endpoint_and_spreads_over_the_rest()
    {
        var eps = Endpoints(100, 100, 100, 100);
        eps[0].RecordLatency(100_000);
        for (int i = 1; i < 4; i++) eps[i].RecordLatency(1_000);
        var counts = Count(new PowerOfTwoChoicesBalancer().CreatePicker(eps), 30_000);
        // Two distinct samples: the slow endpoint loses every comparison.
        Assert.Equal(0, counts.GetValueOrDefault(eps[0]));
        for (int i = 1; i < 4; i++) Assert.InRange(counts[eps[i]], 8_000, 12_000);
    }

    [Fact]
    public async Task P2c_probes_an_endpoint_again_once_its_slow_latency_is_stale()
    {
        var eps = Endpoints(100, 100);
        eps[0].RecordLatency(100_000);
        eps[1].RecordLatency(1_000);
        var picker = new PowerOfTwoChoicesBalancer().CreatePicker(eps);
        Assert.Equal(0, Count(picker, 1000).GetValueOrDefault(eps[0]));
        // Nothing is recorded on the slow endpoint (it is never picked); without staleness it would starve forever.
        await Eventually.TrueAsync(() => eps[0].LatencyEwmaMicros == 0, "the slow endpoint's latency goes stale");
        eps[1].RecordLatency(1_000);
        Assert.Same(eps[0], picker.Pick(new PickContext(null)));
        // The probe's latency replaces the stale average instead of being blended with the old spike.
        eps[0].RecordLatency(500);
        Assert.Equal(500, eps[0].LatencyEwmaMicros);
    }

    [Fact]
    public void P2c_prefers_the_less_loaded_of_equal_latency()
    {
        var eps = Endpoints(100, 100);
        eps[0].RecordLatency(1_000);
        eps[1].RecordLatency(1_000);
        for (int i = 0; i < 10; i++) eps[0].OnStarted();
        var counts = Count(new PowerOfTwoChoicesBalancer().CreatePicker(eps), 1000);
        Assert.Equal(1000, counts.GetValueOrDefault(eps[1]));
    }

    [Fact]
    public void Consistent_hash_is_sticky_balanced_and_moves_only_the_lost_keys()
    {
        var eps = Endpoints(100, 100, 100, 100, 100);
        var picker = new ConsistentHashBalancer().CreatePicker(eps);
        var owner = Enumerable.Range(0, 10_000).ToDictionary(i => i, i => picker.Pick(new PickContext("user-" + i)));
        foreach (var group in owner.GroupBy(o => o.Value)) Assert.InRange(group.Count(), 1_200, 2_800);
        Assert.Equal(owner[42], picker.Pick(new PickContext("user-42")));

        var fewer = new ConsistentHashBalancer().CreatePicker(eps[..4]);
        foreach (var (key, before) in owner)
        {
            var after = fewer.Pick(new PickContext("user-" + key));
            if (before != eps[4]) Assert.Same(before, after);
        }
    }

    [Fact]
    public void Consistent_hash_follows_weights()
    {
        var eps = Endpoints(100, 300);
        var counts = Count(new ConsistentHashBalancer().CreatePicker(eps), 20_000, i => "k" + i);
        double share = counts[eps[1]] / 20_000.0;
        Assert.InRange(share, 0.65, 0.85);
    }

    [Fact]
    public void Modulo_hash_is_even_and_stable_across_pickers()
    {
        var eps = Endpoints(100, 100, 100, 100);
        var a = new ModuloHashBalancer().CreatePicker(eps);
        var b = new ModuloHashBalancer().CreatePicker(eps.Reverse().ToArray());
        var counts = Count(a, 20_000, i => "order-" + i);
        Assert.All(eps, e => Assert.InRange(counts[e], 4_500, 5_500));
        for (int i = 0; i < 100; i++) Assert.Same(a.Pick(new PickContext("x" + i)), b.Pick(new PickContext("x" + i)));
    }

    private sealed class TableRtt(Dictionary<string, double> ms) : IRttEstimator
    {
        public TimeSpan? EstimateRtt(ServiceInstance instance) =>
            instance.Node is { } n && ms.TryGetValue(n, out var v) ? TimeSpan.FromMilliseconds(v) : null;
    }

    [Fact]
    public void Nearest_shares_calls_among_the_near_endpoints_only()
    {
        var eps = Endpoints(100, 100, 100, 100);
        var rtt = new TableRtt(new() { ["n0"] = 1.0, ["n1"] = 1.5, ["n2"] = 10 });
        var counts = Count(new CoordinateAwareBalancer(rtt).CreatePicker(eps), 10_000);
        Assert.Equal(0, counts.GetValueOrDefault(eps[2]));
        Assert.Equal(0, counts.GetValueOrDefault(eps[3]));
        Assert.InRange(counts[eps[0]], 4_000, 6_000);
    }

    [Theory]
    [InlineData("p2c")]
    [InlineData("round-robin")]
    [InlineData("random")]
    [InlineData("weighted-round-robin")]
    [InlineData("least-outstanding")]
    [InlineData("consistent-hash")]
    [InlineData("modulo-hash")]
    [InlineData("nearest")]
    public void A_pick_allocates_nothing(string name)
    {
        var eps = Endpoints(100, 200, 100, 300, 100);
        var picker = Balancers.Create(name, new TableRtt(new() { ["n0"] = 1, ["n1"] = 1.2, ["n2"] = 5 })).CreatePicker(eps);
        var context = new PickContext("customer-42");
        for (int i = 0; i < 2000; i++) picker.Pick(context); // warm up (tiering, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) picker.Pick(context);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Unknown_balancer_names_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Balancers.Create("fastest"));
        Assert.Contains("p2c", e.Message, StringComparison.Ordinal);
    }
}
