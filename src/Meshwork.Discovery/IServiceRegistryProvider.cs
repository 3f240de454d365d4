using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery;

/// <summary>
/// Creates one kind of registry from a configuration section, so that an application picks its registry by name
/// (<c>Registry:Type: etcd</c>) without the discovery core depending on any provider package. Each provider package
/// ships one implementation; the application passes the providers it references to <see cref="ServiceRegistryProviders"/>.
/// </summary>
public interface IServiceRegistryProvider
{
    /// <summary>The <c>Type</c> value this provider answers to, lower case ("static", "gossip", "etcd", ...).</summary>
    string Type { get; }

    /// <summary>
    /// Creates the registry described by <paramref name="section"/> (the whole <c>Registry</c> section, including
    /// <c>Type</c>). Checks every value it reads.
    /// </summary>
    /// <exception cref="DiscoveryConfigurationException">A value is invalid; the message names its key.</exception>
    IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null);
}

/// <summary>Picks the provider named by a registry section's <c>Type</c> key and lets it create the registry.</summary>
public sealed class ServiceRegistryProviders
{
    private readonly Dictionary<string, IServiceRegistryProvider> _providers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the set with the given providers; a later provider with the same type replaces an earlier one.</summary>
    public ServiceRegistryProviders(params IEnumerable<IServiceRegistryProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        foreach (var p in providers)
        {
            _providers[p.Type] = p;
        }
    }

    /// <summary>The registry types this set can create.</summary>
    public IEnumerable<string> Types => _providers.Keys;

    /// <summary>Creates the registry that <paramref name="section"/> describes.</summary>
    /// <exception cref="DiscoveryConfigurationException">
    /// <c>Type</c> is missing or names no known provider, or the provider refuses a value.
    /// </exception>
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var type = section.GetSection("Type");
        if (string.IsNullOrWhiteSpace(type.Value))
        {
            throw new DiscoveryConfigurationException(type.Path, $"missing; expected one of: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))}");
        }
        if (!_providers.TryGetValue(type.Value, out var provider))
        {
            throw new DiscoveryConfigurationException(type.Path, $"unknown registry type '{type.Value}'; expected one of: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))}");
        }
        return provider.Create(section, loggerFactory);
    }
}
