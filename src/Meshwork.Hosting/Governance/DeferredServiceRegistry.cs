using System.Runtime.CompilerServices;
using Meshwork.Discovery;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// The registry as the container hands it out before the host has started: every operation waits for the
/// connection that the start makes (or starts it), then forwards. So clients and the invoker can be resolved at any
/// time, while the registry itself is connected, and checked for reachability, exactly once. Also the RTT estimator
/// of the "nearest" balancer, forwarding to the gossip registry's once connected.
/// </summary>
internal sealed class DeferredServiceRegistry(MeshworkGovernance owner, string name) : IServiceRegistry, IRttEstimator
{
    public string Name { get; } = name;

    public async ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        await (await owner.ConnectAsync(cancellationToken).ConfigureAwait(false)).RegisterAsync(instance, cancellationToken).ConfigureAwait(false);

    public async ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        await (await owner.ConnectAsync(cancellationToken).ConfigureAwait(false)).DeregisterAsync(instance, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default) =>
        await (await owner.ConnectAsync(cancellationToken).ConfigureAwait(false)).ResolveAsync(service, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var registry = await owner.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var set in registry.WatchAsync(service, cancellationToken).ConfigureAwait(false)) yield return set;
    }

    public TimeSpan? EstimateRtt(ServiceInstance instance) => owner.Gossip?.EstimateRtt(instance);

    /// <summary>The container does not own the connected registry through this view; <see cref="MeshworkGovernance.StopAsync"/> disposes it.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
