using Meshwork.Serf;

namespace Meshwork.Discovery.Gossip;

/// <summary>RTT estimates from the Vivaldi coordinates the Serf layer keeps (no extra probes).</summary>
public sealed class SerfRttEstimator : IRttEstimator
{
    private readonly SerfNode _node;

    /// <summary>Estimates from <paramref name="node"/>'s view of the cluster.</summary>
    public SerfRttEstimator(SerfNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
    }

    /// <inheritdoc />
    public TimeSpan? EstimateRtt(ServiceInstance instance) =>
        instance.Node is { } n ? _node.EstimateRtt(_node.Name, n) : null;
}
