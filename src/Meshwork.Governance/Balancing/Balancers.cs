using Meshwork.Discovery;

namespace Meshwork.Governance.Balancing;

/// <summary>Balancers by configuration name.</summary>
public static class Balancers
{
    /// <summary>The names accepted in configuration.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["p2c", "round-robin", "random", "weighted-round-robin", "least-outstanding", "consistent-hash", "modulo-hash", "nearest"];

    /// <summary>Creates the balancer named <paramref name="name"/>; "nearest" needs <paramref name="rtt"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), or "nearest" without an estimator.</exception>
    public static ILoadBalancer Create(string name, IRttEstimator? rtt = null, int virtualNodes = ConsistentHashBalancer.DefaultVirtualNodes) => name switch
    {
        "p2c" => new PowerOfTwoChoicesBalancer(),
        "round-robin" => new RoundRobinBalancer(),
        "random" => new RandomBalancer(),
        "weighted-round-robin" => new SmoothWeightedRoundRobinBalancer(),
        "least-outstanding" => new LeastOutstandingBalancer(),
        "consistent-hash" => new ConsistentHashBalancer(virtualNodes),
        "modulo-hash" => new ModuloHashBalancer(),
        "nearest" => new CoordinateAwareBalancer(rtt ?? throw new ArgumentException("the 'nearest' balancer needs an RTT estimator (GovernanceOptions.RttEstimator), for example GossipServiceRegistry.RttEstimator")),
        _ => throw new ArgumentException($"unknown balancer '{name}'; known: {string.Join(", ", Names)}"),
    };
}
