using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Cli.Registry;

/// <summary>
/// The registry flags shared by <c>meshwork call</c> and <c>meshwork services</c>. They build the same
/// <c>Meshwork</c> configuration document an application reads (<c>Registry</c> and <c>Client</c> sections), so
/// the registry type comes from configuration and every provider key is available: a file given with
/// <c>--config</c> first, then the flags on top of it.
/// </summary>
internal sealed class RegistryOptions
{
    /// <summary>The root section of a configuration file, as in an application's appsettings.json or meshwork.yaml.</summary>
    public const string RootSection = "Meshwork";

    public Option<string?> Config { get; } = new("--config") { Description = "Configuration file (JSON, or YAML by a .yaml/.yml name) with a Meshwork:Registry section (and optionally Meshwork:Client)" };

    public Option<string?> Type { get; } = new("--registry") { Description = "Registry type: gossip, static, etcd, zookeeper, dns (implied by --join, --instance, --etcd, --zookeeper, --dns)" };

    public Option<string[]> Join { get; } = new("--join") { Description = "Gossip: seed address host:port to join (repeatable); the CLI becomes a short-lived cluster member" };

    public Option<string?> Bind { get; } = new("--bind") { Description = "Gossip: address the CLI's member binds (default 127.0.0.1:0 when every seed is on loopback, else 0.0.0.0:0: any free port)" };

    public Option<string[]> Instance { get; } = new("--instance") { Description = "Static: an instance as service=host:port (repeatable)" };

    public Option<string?> Etcd { get; } = new("--etcd") { Description = "etcd: client URL, e.g. http://127.0.0.1:2379" };

    public Option<string?> ZooKeeper { get; } = new("--zookeeper") { Description = "ZooKeeper: servers as host:port[,host:port...]" };

    public Option<string?> Dns { get; } = new("--dns") { Description = "DNS: server address ip[:port] (SRV records by default)" };

    public Option<string[]> Set { get; } = new("--registry-key") { Description = "Any other registry key as Key=Value, e.g. Profile=local or Domain=svc.cluster.local (repeatable)" };

    public Option<string[]> Client { get; } = new("--client-key") { Description = "A client policy key as Key=Value, e.g. Defaults:Balancer=round-robin or Defaults:MaxAttempts=2 (repeatable; see docs/governance.md)" };

    public IEnumerable<Option> All => [Config, Type, Join, Bind, Instance, Etcd, ZooKeeper, Dns, Set, Client];

    /// <summary>
    /// The document (the <c>Meshwork</c> section, or the file's root when it has none) built from the file and the flags.
    /// </summary>
    /// <exception cref="UsageException">A flag is malformed, flags name two registry types, or no registry is given.</exception>
    public IConfiguration Build(ParseResult result)
    {
        var builder = new ConfigurationBuilder();
        var file = result.GetValue(Config);
        bool fileHasRoot = false;
        if (file is not null)
        {
            string path = Path.GetFullPath(file);
            if (!File.Exists(path)) throw new UsageException($"--config: no such file '{file}'");
            var extension = Path.GetExtension(path).ToLowerInvariant();
            var probe = new ConfigurationBuilder();
            if (extension is ".yaml" or ".yml") probe.AddYamlFile(path); else probe.AddJsonFile(path);
            IConfigurationRoot loaded;
            try
            {
                loaded = probe.Build();
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"--config: {e.Message} {e.InnerException?.Message}".TrimEnd());
            }
            // An application's file has everything under Meshwork:; a file written for the CLI alone may omit it.
            fileHasRoot = loaded.GetSection(RootSection).Exists();
            builder.AddConfiguration(loaded);
        }

        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string prefix = (file is null || fileHasRoot ? RootSection + ":" : "") + "Registry:";
        var types = new List<string>();
        if (result.GetValue(Type) is { } type) types.Add(type.Trim().ToLowerInvariant());

        var seeds = result.GetValue(Join) ?? [];
        if (seeds.Length > 0)
        {
            types.Add("gossip");
            for (int i = 0; i < seeds.Length; i++) flags[$"{prefix}Join:{i}"] = seeds[i];
            flags[$"{prefix}Bind"] = result.GetValue(Bind) ?? DefaultBind(seeds);
        }
        else if (result.GetValue(Bind) is { } bind)
        {
            flags[$"{prefix}Bind"] = bind;
        }

        var instances = result.GetValue(Instance) ?? [];
        if (instances.Length > 0)
        {
            types.Add("static");
            var perService = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in instances)
            {
                int eq = entry.IndexOf('=');
                if (eq <= 0 || eq == entry.Length - 1) throw new UsageException($"--instance must look like service=host:port, got '{entry}'");
                string service = entry[..eq].Trim();
                int n = perService.GetValueOrDefault(service);
                perService[service] = n + 1;
                flags[$"{prefix}Services:{service}:{n}:Address"] = entry[(eq + 1)..].Trim();
            }
        }
        if (result.GetValue(Etcd) is { } etcd)
        {
            types.Add("etcd");
            flags[$"{prefix}Endpoint"] = etcd;
        }
        if (result.GetValue(ZooKeeper) is { } zk)
        {
            types.Add("zookeeper");
            flags[$"{prefix}ConnectString"] = zk;
        }
        if (result.GetValue(Dns) is { } dns)
        {
            types.Add("dns");
            flags[$"{prefix}Server"] = dns;
        }
        foreach (var entry in result.GetValue(Set) ?? [])
        {
            int eq = entry.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--registry-key must look like Key=Value, got '{entry}'");
            flags[prefix + entry[..eq].Trim()] = entry[(eq + 1)..].Trim();
        }

        string clientPrefix = prefix[..^"Registry:".Length] + "Client:";
        foreach (var entry in result.GetValue(Client) ?? [])
        {
            int eq = entry.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--client-key must look like Key=Value, got '{entry}'");
            flags[clientPrefix + entry[..eq].Trim()] = entry[(eq + 1)..].Trim();
        }

        var distinct = types.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 1) throw new UsageException($"the flags name more than one registry ({string.Join(", ", distinct)}); use one");
        if (distinct.Count == 1) flags[prefix + "Type"] = distinct[0];
        builder.AddInMemoryCollection(flags);
        var built = builder.Build();
        IConfiguration document = file is null || fileHasRoot ? built.GetSection(RootSection) : built;
        if (string.IsNullOrWhiteSpace(document["Registry:Type"]))
        {
            throw new UsageException("no registry: give --join host:port (gossip), --instance service=host:port (static), --etcd URL, --zookeeper host:port, " +
                "--dns server, --registry TYPE with --registry-key, or --config FILE with a Meshwork:Registry section");
        }
        return document;
    }

    /// <summary>
    /// A gossip member must be reachable at the address it advertises: on loopback when the cluster is on loopback,
    /// else on every interface. Port 0: a free port, so several CLI runs and an agent on the same host never collide.
    /// </summary>
    private static string DefaultBind(string[] seeds) =>
        seeds.All(IsLoopback) ? "127.0.0.1:0" : "0.0.0.0:0";

    private static bool IsLoopback(string seed)
    {
        if (seed.StartsWith("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPEndPoint.TryParse(seed, out var ep) && IPAddress.IsLoopback(ep.Address)
            || IPAddress.TryParse(seed, out var ip) && IPAddress.IsLoopback(ip);
    }
}
