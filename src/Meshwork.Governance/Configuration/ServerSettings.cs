using Meshwork.Discovery;
using Meshwork.Governance.Server;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using static Meshwork.Discovery.ConfigurationValues;

namespace Meshwork.Governance.Configuration;

/// <summary>
/// The <c>Server</c> section: where the server listens, what it announces to the registry, the limits it sheds load
/// at, and its drain. Its keys are one set with Meshwork.Hosting's <c>Meshwork:Server</c> section: the RPC keys
/// (property names of <see cref="RpcServerOptions"/>; this class reads <c>Endpoints</c>, <c>MaxConnections</c>,
/// <c>MaxConcurrentCalls</c> and <c>DrainTimeout</c> of them) plus the governance keys in <see cref="GovernanceKeys"/>:
/// <c>Advertise</c>, <c>Register</c>, <c>Services</c>, <c>Version</c>, <c>Zone</c>, <c>Weight</c>, <c>Tags</c>,
/// <c>Metadata</c>, <c>Limits:{Services, Methods, PerCaller, CallerHeader}</c> (an entry of <c>Services</c> or <c>Methods</c>
/// takes <c>PermitsPerSecond</c> and <c>Burst</c>, <c>MaxConcurrent</c>, or both), <c>Drain:PropagationDelay</c>.
/// The earlier spellings <c>Address</c> and <c>Drain:Timeout</c> fail with an error naming <c>Endpoints</c> and
/// <c>DrainTimeout</c>.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>
    /// The keys of the <c>Server</c> section that belong to governance rather than to <see cref="RpcServerOptions"/>
    /// (Meshwork.Hosting binds every other key onto the RPC options, and reports unknown ones).
    /// </summary>
    public static IReadOnlyList<string> GovernanceKeys { get; } =
        ["Advertise", "Register", "Services", "Version", "Zone", "Weight", "Tags", "Metadata", "Limits", "Drain", "Address"];

    /// <summary>Listen addresses (<c>Endpoints</c>, <c>host:port</c>). Default none: the code that builds the server decides.</summary>
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
        Renamed(section, "Address", "Endpoints", "a list of host:port, as in Meshwork.Hosting");
        Renamed(section, "Drain:Timeout", "DrainTimeout", "as in Meshwork.Hosting");
        s.Endpoints = List(section, "Endpoints").Select(e =>
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
        if (Get(section, "DrainTimeout") is { } drainTimeout) s.DrainTimeout = Duration(drainTimeout);
        s.RateLimits = ReadLimits(section.GetSection("Limits"));
        return s;
    }

    /// <summary>An earlier key of this section, now spelt as in Meshwork.Hosting: refused with the new key named, so a file is fixed once instead of read two ways.</summary>
    private static void Renamed(IConfiguration section, string old, string now, string hint)
    {
        var key = section.GetSection(old);
        if (key.Value is not null || key.GetChildren().Any())
        {
            string parent = (section as IConfigurationSection)?.Path is { } p ? p + ":" : "";
            throw new DiscoveryConfigurationException(parent + old, $"renamed: write {parent}{now} ({hint})");
        }
    }

    private static ServerRateLimitOptions? ReadLimits(IConfigurationSection limits)
    {
        if (!limits.Exists()) return null;
        var options = new ServerRateLimitOptions();
        foreach (var service in limits.GetSection("Services").GetChildren())
        {
            if (MaxConcurrent(service) is { } max) options.MaxConcurrentByService[service.Key] = max;
            if (HasRate(service)) options.Services[service.Key] = Limit(service);
        }
        foreach (var method in limits.GetSection("Methods").GetChildren())
        {
            if (!method.Key.Contains('/', StringComparison.Ordinal))
            {
                throw new DiscoveryConfigurationException(method.Path, $"'{method.Key}' is not a full method name (service/method, for example orders/Get)");
            }
            if (MaxConcurrent(method) is { } max) options.MaxConcurrentByMethod[method.Key] = max;
            if (HasRate(method)) options.Methods[method.Key] = Limit(method);
        }
        if (limits.GetSection("PerCaller").Exists()) options.PerCaller = Limit(limits.GetSection("PerCaller"));
        if (Get(limits, "CallerHeader") is { } header) options.CallerHeader = header.Value;
        return options;
    }

    /// <summary><c>MaxConcurrent</c> of a service's or method's limits: most of its calls handled at once (a server bulkhead).</summary>
    private static int? MaxConcurrent(IConfigurationSection section) =>
        Get(section, "MaxConcurrent") is { } max ? Int(max, 1, 10_000_000) : null;

    /// <summary>An entry has a rate limit unless it only sets <c>MaxConcurrent</c>; a <c>Burst</c> alone is an error (it needs its rate).</summary>
    private static bool HasRate(IConfigurationSection section) =>
        section.GetChildren().Any(c => c.Key is not "MaxConcurrent");

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
