using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>
/// Creates a <see cref="ZooKeeperServiceRegistry"/> from a registry section with <c>Type: zookeeper</c>. Keys (all but
/// <c>ConnectString</c> optional, defaults as in <see cref="ZooKeeperDiscoveryOptions"/>): <c>ConnectString</c>,
/// <c>Root</c>, <c>SessionTimeout</c>, <c>RequestTimeout</c>, <c>ConnectTimeout</c>, <c>ReconnectInitial</c>,
/// <c>ReconnectMax</c> (durations: <c>250ms</c>, <c>2s</c>, <c>1m</c> or <c>00:00:02</c>), <c>MaxPacketSize</c>
/// (bytes) and <c>MaxInFlightRequests</c>.
/// </summary>
public sealed class ZooKeeperRegistryProvider : IServiceRegistryProvider
{
    /// <inheritdoc />
    public string Type => "zookeeper";

    /// <inheritdoc />
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null) =>
        new ZooKeeperServiceRegistry(ReadOptions(section), loggerFactory);

    /// <summary>Reads and checks the options in <paramref name="section"/>.</summary>
    /// <exception cref="DiscoveryConfigurationException">A value is missing or invalid; <see cref="DiscoveryConfigurationException.Key"/> names it.</exception>
    public static ZooKeeperDiscoveryOptions ReadOptions(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new ZooKeeperDiscoveryOptions();
        var connect = section.GetSection(nameof(options.ConnectString));
        if (string.IsNullOrWhiteSpace(connect.Value))
        {
            throw new DiscoveryConfigurationException(connect.Path, "missing; expected the ZooKeeper servers as host:port[,host:port...]");
        }
        options.ConnectString = connect.Value;
        if (Value(section, nameof(options.Root)) is { } root) options.Root = root.Value;
        if (Value(section, nameof(options.SessionTimeout)) is { } st) options.SessionTimeout = ConfigurationValues.Duration(st);
        if (Value(section, nameof(options.RequestTimeout)) is { } rt) options.RequestTimeout = ConfigurationValues.Duration(rt);
        if (Value(section, nameof(options.ConnectTimeout)) is { } ct) options.ConnectTimeout = ConfigurationValues.Duration(ct);
        if (Value(section, nameof(options.ReconnectInitial)) is { } ri) options.ReconnectInitial = ConfigurationValues.Duration(ri);
        if (Value(section, nameof(options.ReconnectMax)) is { } rm) options.ReconnectMax = ConfigurationValues.Duration(rm);
        if (Value(section, nameof(options.MaxPacketSize)) is { } mp) options.MaxPacketSize = Integer(mp);
        if (Value(section, nameof(options.MaxInFlightRequests)) is { } mi) options.MaxInFlightRequests = Integer(mi);
        if (options.FindProblem() is { } problem)
        {
            throw new DiscoveryConfigurationException(ConfigurationPath.Combine(section.Path, problem.Property), problem.Problem);
        }
        return options;
    }

    private static (string Key, string Value)? Value(IConfigurationSection section, string name)
    {
        var s = section.GetSection(name);
        return s.Value is null ? null : (s.Path, s.Value);
    }

    private static int Integer((string Key, string Value) e) =>
        int.TryParse(e.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new DiscoveryConfigurationException(e.Key, $"'{e.Value}' is not a non-negative whole number");
}
