using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Etcd;

/// <summary>
/// Registry type <c>etcd</c>: keys <c>Endpoint</c> (required, for example <c>http://127.0.0.1:2379</c>),
/// <c>Prefix</c>, <c>LeaseTtl</c> and <c>RequestTimeout</c>, with the defaults of <see cref="EtcdDiscoveryOptions"/>.
/// </summary>
public sealed class EtcdServiceRegistryProvider : IServiceRegistryProvider
{
    /// <inheritdoc />
    public string Type => "etcd";

    /// <inheritdoc />
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new EtcdDiscoveryOptions();
        var endpoint = ConfigurationValues.Get(section, "Endpoint") ?? ConfigurationValues.Get(section, "Address")
            ?? throw new DiscoveryConfigurationException(section.Path + ":Endpoint", "missing; the etcd client URL, for example http://127.0.0.1:2379");
        if (!Uri.TryCreate(endpoint.Value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new DiscoveryConfigurationException(endpoint.Key, $"'{endpoint.Value}' is not an http(s) URL such as http://127.0.0.1:2379");
        }
        options.Endpoint = endpoint.Value;
        if (ConfigurationValues.Get(section, "Prefix") is { } prefix)
        {
            if (!prefix.Value.EndsWith('/')) throw new DiscoveryConfigurationException(prefix.Key, $"'{prefix.Value}' must end with '/'");
            options.Prefix = prefix.Value;
        }
        if (ConfigurationValues.Get(section, "LeaseTtl") is { } ttl)
        {
            options.LeaseTtl = ConfigurationValues.Duration(ttl);
            if (options.LeaseTtl < TimeSpan.FromSeconds(1)) throw new DiscoveryConfigurationException(ttl.Key, "must be at least 1 s (etcd counts leases in seconds)");
        }
        if (ConfigurationValues.Get(section, "RequestTimeout") is { } rt) options.RequestTimeout = ConfigurationValues.Duration(rt);
        return new EtcdServiceRegistry(options, loggerFactory);
    }
}
