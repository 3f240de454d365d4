using BenchmarkDotNet.Attributes;
using Meshwork.Discovery;
using Meshwork.Governance.Balancing;

namespace Meshwork.Bench.Governance;

/// <summary>One pick per invocation, over ten endpoints with different weights, latencies and coordinates.</summary>
public class PickBenchmarks
{
    private IPicker _picker = null!;
    private readonly PickContext _context = new("customer-42");

    /// <summary>The balancer measured.</summary>
    [Params("p2c", "round-robin", "random", "weighted-round-robin", "least-outstanding", "consistent-hash", "modulo-hash", "nearest")]
    public string Balancer { get; set; } = "p2c";

    /// <summary>Builds the picker once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var endpoints = Enumerable.Range(0, 10).Select(i =>
        {
            var e = new InstanceEndpoint(new ServiceInstance("bench", $"10.0.0.{i}:7000") { Weight = 100 + 10 * i, Node = "n" + i });
            e.RecordLatency(500 + 50 * i);
            return e;
        }).ToArray();
        _picker = Balancers.Create(Balancer, new FixedRtt(), ConsistentHashBalancer.DefaultVirtualNodes).CreatePicker(endpoints);
    }

    /// <summary>One pick.</summary>
    [Benchmark]
    public InstanceEndpoint Pick() => _picker.Pick(_context);

    private sealed class FixedRtt : IRttEstimator
    {
        public TimeSpan? EstimateRtt(ServiceInstance instance) => TimeSpan.FromMilliseconds(instance.Node is { Length: > 1 } n ? n[1] - '0' + 1 : 5);
    }
}
