using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Dns;

/// <summary>
/// Creates a <see cref="DnsServiceRegistry"/> from a <c>Registry</c> section with <c>Type: dns</c>. Keys (all optional
/// except <c>Port</c> in headless mode): <c>Server</c>, <c>Mode</c> (srv | headless), <c>NameTemplate</c>,
/// <c>EndpointName</c>, <c>Protocol</c>, <c>Domain</c>, <c>Port</c>, <c>AddressFamily</c> (any | ipv4 | ipv6),
/// <c>IncludeAllPriorities</c>, <c>Timeout</c>, <c>Attempts</c>, <c>MinRefreshInterval</c>, <c>MaxRefreshInterval</c>,
/// <c>UdpPayloadSize</c>. Durations read as <c>250ms</c>, <c>2s</c>, <c>1m</c> or <c>00:00:02</c>.
/// </summary>
public sealed class DnsServiceRegistryProvider : IServiceRegistryProvider
{
    /// <inheritdoc />
    public string Type => "dns";

    /// <inheritdoc />
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null) =>
        new DnsServiceRegistry(ReadOptions(section), loggerFactory);

    /// <summary>Reads and validates the options in <paramref name="section"/>.</summary>
    /// <exception cref="DiscoveryConfigurationException">A value is invalid; <see cref="DiscoveryConfigurationException.Key"/> is its path.</exception>
    public static DnsDiscoveryOptions ReadOptions(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var o = new DnsDiscoveryOptions();
        if (Text(section, "Server") is { } server)
        {
            if (!DnsDiscoveryOptions.TryParseServer(server, out _)) throw Bad(section, "Server", $"'{server}' is not an IP address with an optional port, such as 10.96.0.10 or 127.0.0.1:5353");
            o.Server = server;
        }
        if (Text(section, "Mode") is { } mode)
        {
            o.Mode = mode.ToLowerInvariant() switch
            {
                "srv" => DnsDiscoveryMode.Srv,
                "headless" => DnsDiscoveryMode.Headless,
                _ => throw Bad(section, "Mode", $"unknown mode '{mode}'; expected srv or headless"),
            };
        }
        if (Text(section, "NameTemplate") is { } template) o.NameTemplate = template;
        if (Text(section, "EndpointName") is { } endpoint) o.EndpointName = endpoint;
        if (Text(section, "Protocol") is { } protocol) o.Protocol = protocol;
        if (section.GetSection("Domain").Value is { } domain) o.Domain = domain.Trim();
        if (ConfigurationValues.Get(section, "Port") is { } port) o.Port = ConfigurationValues.Int(port, 1, 65535);
        if (Text(section, "AddressFamily") is { } family)
        {
            o.AddressFamily = family.ToLowerInvariant() switch
            {
                "any" => DnsAddressFamily.Any,
                "ipv4" => DnsAddressFamily.IPv4,
                "ipv6" => DnsAddressFamily.IPv6,
                _ => throw Bad(section, "AddressFamily", $"unknown address family '{family}'; expected any, ipv4 or ipv6"),
            };
        }
        if (ConfigurationValues.Get(section, "IncludeAllPriorities") is { } all) o.IncludeAllPriorities = ConfigurationValues.Bool(all);
        if (ConfigurationValues.Get(section, "Timeout") is { } timeout) o.Timeout = ConfigurationValues.Duration(timeout);
        if (ConfigurationValues.Get(section, "Attempts") is { } attempts) o.Attempts = ConfigurationValues.Int(attempts, 1, 10);
        if (ConfigurationValues.Get(section, "MinRefreshInterval") is { } min) o.MinRefreshInterval = ConfigurationValues.Duration(min);
        if (ConfigurationValues.Get(section, "MaxRefreshInterval") is { } max) o.MaxRefreshInterval = ConfigurationValues.Duration(max);
        if (ConfigurationValues.Get(section, "UdpPayloadSize") is { } payload) o.UdpPayloadSize = ConfigurationValues.Int(payload, 0, 65535);
        try
        {
            o.Validate();
        }
        catch (ArgumentException e)
        {
            // The option named in the message is the configuration key of the same name.
            string key = e.Message.StartsWith("DnsDiscoveryOptions.", StringComparison.Ordinal)
                ? e.Message["DnsDiscoveryOptions.".Length..].Split(' ')[0]
                : "Server";
            throw new DiscoveryConfigurationException(Path(section, key), e.Message, e);
        }
        return o;
    }

    private static string Path(IConfigurationSection section, string key) => section.Path + ":" + key;

    private static DiscoveryConfigurationException Bad(IConfigurationSection section, string key, string problem) => new(Path(section, key), problem);

    private static string? Text(IConfigurationSection section, string key) =>
        section.GetSection(key).Value is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
