using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ServiceDiscovery;

namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>
/// A Microsoft.Extensions.ServiceDiscovery provider factory backed by any <see cref="IServiceRegistry"/> (static,
/// gossip, etcd, DNS, ZooKeeper, cached): <c>http://orders</c> resolves to the healthy instances of <c>orders</c>. Each
/// resolved service is followed by the registry's watch, and every change fires the resolver's change token, so new
/// requests go to the new instance set without polling. Register it with
/// <see cref="MeshworkServiceDiscoveryExtensions.AddMeshworkServiceEndpointProvider(Microsoft.Extensions.DependencyInjection.IServiceCollection, IServiceRegistry, Action{MeshworkEndpointProviderOptions}?)"/>.
/// </summary>
public sealed class MeshworkServiceEndpointProviderFactory : IServiceEndpointProviderFactory
{
    private readonly IServiceRegistry _registry;
    private readonly MeshworkEndpointProviderOptions _options;
    private readonly ILogger _log;

    /// <summary>Creates the factory over <paramref name="registry"/>; the registry's lifetime stays with the caller.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public MeshworkServiceEndpointProviderFactory(IServiceRegistry registry, MeshworkEndpointProviderOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _options = options ?? new MeshworkEndpointProviderOptions();
        _options.Validate();
        _registry = registry;
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.ServiceDiscovery") ?? NullLogger.Instance;
    }

    /// <summary>
    /// Creates a provider for <paramref name="query"/> when its service name is one this factory answers for
    /// (<see cref="MeshworkEndpointProviderOptions.Services"/>, or every name when that set is empty).
    /// </summary>
    public bool TryCreateProvider(ServiceEndpointQuery query, [NotNullWhen(true)] out IServiceEndpointProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_options.Services.Count > 0 && !_options.Services.Contains(query.ServiceName))
        {
            provider = null;
            return false;
        }
        provider = new MeshworkServiceEndpointProvider(query, _registry, _options, _log);
        return true;
    }
}
