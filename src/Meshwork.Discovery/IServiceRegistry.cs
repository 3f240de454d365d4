namespace Meshwork.Discovery;

/// <summary>
/// A service registry: where servers announce their instances and clients find them. Providers: static
/// configuration (<see cref="StaticServiceRegistry"/>), gossip (Meshwork.Discovery.Gossip), and others in their own
/// packages. Wrap any of them in <see cref="CachedServiceRegistry"/> to keep working while the registry is down.
/// </summary>
public interface IServiceRegistry : IAsyncDisposable
{
    /// <summary>Short provider name for logs and errors ("static", "gossip", ...).</summary>
    string Name { get; }

    /// <summary>Announces an instance; re-registering the same <see cref="ServiceInstance.Id"/> replaces it.</summary>
    /// <exception cref="RegistryUnavailableException">The registry cannot be reached.</exception>
    ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default);

    /// <summary>Withdraws an instance (by <see cref="ServiceInstance.Id"/>); unknown instances are ignored.</summary>
    /// <exception cref="RegistryUnavailableException">The registry cannot be reached.</exception>
    ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default);

    /// <summary>The instances of <paramref name="service"/> known now (possibly none).</summary>
    /// <exception cref="RegistryUnavailableException">The registry cannot be reached.</exception>
    ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default);

    /// <summary>
    /// The instance set of <paramref name="service"/>: the current set first, then the whole new set after each change.
    /// Ends when <paramref name="cancellationToken"/> fires; throws <see cref="RegistryUnavailableException"/> when the
    /// registry is lost (callers such as <see cref="CachedServiceRegistry"/> reconnect).
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, CancellationToken cancellationToken = default);
}

/// <summary>The registry could not be reached or answered with an error.</summary>
public sealed class RegistryUnavailableException : Exception
{
    /// <summary>Creates the error; <paramref name="registry"/> names the provider.</summary>
    public RegistryUnavailableException(string registry, string message, Exception? inner = null)
        : base($"registry '{registry}' is unavailable: {message}", inner)
    {
        Registry = registry;
    }

    /// <summary>Provider name.</summary>
    public string Registry { get; }
}

/// <summary>A configuration value is invalid; <see cref="Key"/> is the full configuration path of the bad value.</summary>
public sealed class DiscoveryConfigurationException : Exception
{
    /// <summary>Creates the error for configuration key <paramref name="key"/>.</summary>
    public DiscoveryConfigurationException(string key, string problem, Exception? inner = null)
        : base($"configuration key '{key}': {problem}", inner)
    {
        Key = key;
    }

    /// <summary>Full configuration path, for example <c>Meshwork:Client:Services:orders:Version</c>.</summary>
    public string Key { get; }
}

/// <summary>Estimates the network round trip to an instance; used by the coordinate-aware balancer.</summary>
public interface IRttEstimator
{
    /// <summary>The estimated RTT to <paramref name="instance"/>, or null when there is no estimate.</summary>
    TimeSpan? EstimateRtt(ServiceInstance instance);
}
