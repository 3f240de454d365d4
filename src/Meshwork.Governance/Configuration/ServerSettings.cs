using Meshwork.Discovery;
using Meshwork.Governance.Server;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using static Meshwork.Discovery.ConfigurationValues;

namespace Meshwork.Governance.Configuration;

/// <summary>
/// The <c>Server</c> section: where the server listens, what it announces to the registry, the limits it sheds load
/// at, and its drain. Keys: <c>Address</c> (one or a list), <c>Advertise</c>, <c>Register</c>, <c>Services</c>,
/// <c>Version</c>, <c>Zone</c>, <c>Weight</c>, <c>Tags</c>, <c>Metadata</c>, <c>MaxConnections</c>,
/// <c>MaxConcurrentCalls</c>, <c>Limits:{Services, Methods, PerCaller, CallerHeader}</c>,
/// <c>Drain:{PropagationDelay, Timeout}</c>.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>Listen addresses (<c>host:port</c>). Default none: the code that builds the server decides.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>Whether the server registers its services at start (false leaves <see cref="ServiceAnnouncement.Services"/> empty). Default true: a server that is not found serves no one.</summary>
    public bool Register { get; private set; } = true;

    /// <summary>What is announced for each service, with the drain's propagation delay.</summary>
    public ServiceAnnouncement Announcement { get; } = new();

    /// <summary>Server-side rate limits (<c>Limits</c>); null when none is configured.</summary>
    public ServerRateLimitOptions? RateLimits { get; private set; }

    /// <summary>Most connections; null: the RPC default (10 000).</summary>
    public int? MaxConnections { get; private set; }

    /// <summary>Calls in flight beyond which the server answers ResourceExhausted at once; null: the RPC default (100 000).</summary>
    public int? MaxConcurrentCalls { get; private set; }

    /// <summary>How long the drain waits for in-flight calls (<c>Drain:Timeout</c>); null: the RPC default (10 s).</summary>
    public TimeSpan? DrainTimeout { get; private set; }

    /// <summary>Copies the listen addresses, connection and call limits and the drain timeout onto <paramref name="options"/>.</summary>
    public void ApplyTo(RpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Endpoints.Count > 0)
        {
            options.Endpoints.Clear();
            foreach (var e in Endpoints) options.Endpoints.Add(e);
        }
        if (MaxConnections is { } mc) options.MaxConnections = mc;
        if (MaxConcurrentCalls is { } calls) options.MaxConcurrentCalls = calls;
        if (DrainTimeout is { } drain) options.DrainTimeout = drain;
    }

    /// <summary>Reads the section; the application's version and zone are the defaults of what is announced.</summary>
    /// <exception cref="DiscoveryConfigurationException">A value is invalid; the message names the key.</exception>
    public static ServerSettings Read(IConfiguration section, ApplicationOptions application)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(application);
        var s = new ServerSettings();
        var a = s.Announcement;
        a.Version = application.Version;
        a.Zone = application.Zone;
        s.Endpoints = List(section, "Address").Select(e =>
        {
            var colon = e.Value.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(e.Value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
            {
                throw new DiscoveryConfigurationException(e.Key, $"'{e.Value}' is not host:port (example: 0.0.0.0:9000)");
            }
            return e.Value;
        }).ToArray();
        if (Get(section, "Advertise") is { } advertise) a.AdvertiseAddress = advertise.Value;
        if (Get(section, "Register") is { } register) s.Register = Bool(register);
        var services = List(section, "Services");
        if (services.Count > 0) a.Services = services.Select(x => x.Value).ToHashSet(StringComparer.Ordinal);
        if (!s.Register) a.Services = new HashSet<string>(StringComparer.Ordinal); // announce nothing
        if (Get(section, "Version") is { } version) a.Version = ConfigurationValues.Version(version);
        if (Get(section, "Zone") is { } zone) a.Zone = zone.Value;
        if (Get(section, "Weight") is { } weight) a.Weight = Int(weight, 1, 1_000_000);
        foreach (var t in section.GetSection("Tags").GetChildren()) a.Tags[t.Key] = t.Value ?? "";
        foreach (var m in section.GetSection("Metadata").GetChildren()) a.Metadata[m.Key] = m.Value ?? "";
        if (Get(section, "MaxConnections") is { } maxConnections) s.MaxConnections = Int(maxConnections, 1, 10_000_000);
        if (Get(section, "MaxConcurrentCalls") is { } maxCalls) s.MaxConcurrentCalls = Int(maxCalls, 1, int.MaxValue);
        if (Get(section, "Drain:PropagationDelay") is { } delay) a.PropagationDelay = Duration(delay);
        if (Get(section, "Drain:Timeout") is { } drainTimeout) s.DrainTimeout = Duration(drainTimeout);
        s.RateLimits = ReadLimits(section.GetSection("Limits"));
        return s;
    }

    private static ServerRateLimitOptions? ReadLimits(IConfigurationSection limits)
    {
        if (!limits.Exists()) return null;
        var options = new ServerRateLimitOptions();
        foreach (var service in limits.GetSection("Services").GetChildren())
        {
            options.Services[service.Key] = Limit(service);
        }
        foreach (var method in limits.GetSection("Methods").GetChildren())
        {
            if (!method.Key.Contains('/', StringComparison.Ordinal))
            {
                throw new DiscoveryConfigurationException(method.Path, $"'{method.Key}' is not a full method name (service/method, for example orders/Get)");
            }
            options.Methods[method.Key] = Limit(method);
        }
        if (limits.GetSection("PerCaller").Exists()) options.PerCaller = Limit(limits.GetSection("PerCaller"));
        if (Get(limits, "CallerHeader") is { } header) options.CallerHeader = header.Value;
        return options;
    }

    /// <summary>A limit written in place: <c>{PermitsPerSecond, Burst}</c>.</summary>
    private static Resilience.RateLimitOptions Limit(IConfigurationSection section) =>
        new()
        {
            PermitsPerSecond = Get(section, "PermitsPerSecond") is { } pps
                ? Double(pps, 0.001, 10_000_000)
                : throw new DiscoveryConfigurationException(section.Path + ":PermitsPerSecond", "missing; a limit needs its sustained rate"),
            Burst = Get(section, "Burst") is { } burst ? Int(burst, 0, 10_000_000) : 0,
        };
}
