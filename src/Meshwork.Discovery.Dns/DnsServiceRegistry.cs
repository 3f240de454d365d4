using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery.Dns;

/// <summary>
/// Discovery from DNS. In <see cref="DnsDiscoveryMode.Srv"/> mode a service name becomes an SRV name (by default
/// <c>_rpc._tcp.{service}.default.svc.cluster.local</c>); each SRV record's target is resolved to its addresses (from
/// the response's additional section when the server sent them, else by asking A/AAAA) and every address becomes an
/// instance with the record's port and weight. In <see cref="DnsDiscoveryMode.Headless"/> mode the A/AAAA records of
/// one name are the instances, all on <see cref="DnsDiscoveryOptions.Port"/>. Watches re-resolve when the records'
/// TTL runs out (bounded by the refresh interval options) and yield only when the set changed.
/// DNS is read-only: <see cref="RegisterAsync"/> and <see cref="DeregisterAsync"/> throw <see cref="NotSupportedException"/>.
/// </summary>
public sealed class DnsServiceRegistry : IServiceRegistry
{
    /// <summary>Metadata key holding the SRV target host (or the headless name) an instance was found under.</summary>
    public const string TargetMetadataKey = "dns.target";

    /// <summary>Metadata key holding the SRV priority of an instance.</summary>
    public const string PriorityMetadataKey = "dns.priority";

    /// <summary>Metadata key holding the SRV weight as published (before zero became 1).</summary>
    public const string WeightMetadataKey = "dns.weight";

    /// <summary>How many CNAME hops are followed inside one response; more is a misconfigured zone (or a loop).</summary>
    private const int MaxCnameHops = 8;

    private readonly DnsDiscoveryOptions _options;
    private readonly ILogger _log;
    private readonly DnsTransport _transport;

    /// <summary>Creates the registry; nothing is sent until the first resolve.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or no server is set and /etc/resolv.conf names none.</exception>
    public DnsServiceRegistry(DnsDiscoveryOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.Dns") ?? NullLogger.Instance;
        Server = string.IsNullOrEmpty(options.Server) ? SystemResolver() : ParseServer(options.Server);
        _transport = new DnsTransport(Server, options, _log);
    }

    /// <inheritdoc />
    public string Name => "dns";

    /// <summary>The DNS server asked.</summary>
    public IPEndPoint Server { get; }

    /// <summary>Malformed responses received (dropped, counted, logged at most every 10 s as event 4500).</summary>
    public long MalformedResponses => _transport.MalformedResponses;

    /// <summary>Truncated UDP answers that were asked again over TCP.</summary>
    public long TcpFallbacks => _transport.TcpFallbacks;

    private static IPEndPoint ParseServer(string text) =>
        DnsDiscoveryOptions.TryParseServer(text, out var ep) ? ep : throw new ArgumentException($"DnsDiscoveryOptions.Server '{text}' is not an IP address");

    private static IPEndPoint SystemResolver()
    {
        const string path = "/etc/resolv.conf";
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1].Split('%')[0], out var address))
                {
                    return new IPEndPoint(address, 53);
                }
            }
        }
        throw new ArgumentException($"DnsDiscoveryOptions.Server is empty and {path} names no nameserver: set the DNS server explicitly");
    }

    /// <summary>Always throws: DNS records are published by the platform (Kubernetes, a zone file), not by the servers.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"the DNS registry is read-only: publish {instance?.Id} as a DNS record (a Kubernetes Service, a zone entry) instead of registering it, or register with another registry");

    /// <summary>Always throws: DNS records are withdrawn by the platform, not by the servers.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"the DNS registry is read-only: withdraw {instance?.Id} from DNS (scale the Kubernetes Service, edit the zone) instead of deregistering it");

    /// <summary>The instances published for <paramref name="service"/> now; empty when the name does not exist.</summary>
    /// <exception cref="ArgumentException">The service name does not make a valid DNS name with the template.</exception>
    /// <exception cref="RegistryUnavailableException">The DNS server does not answer or answers with a server error.</exception>
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        var (instances, _) = await ResolveWithTtlAsync(service, cancellationToken).ConfigureAwait(false);
        return instances;
    }

    /// <summary>
    /// The current set, then the whole set after each change, re-resolving when the shortest TTL of the records used
    /// runs out (at least <see cref="DnsDiscoveryOptions.MinRefreshInterval"/>, at most
    /// <see cref="DnsDiscoveryOptions.MaxRefreshInterval"/> apart). Throws <see cref="RegistryUnavailableException"/>
    /// when the server stops answering (<see cref="CachedServiceRegistry"/> keeps the last set and reconnects).
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ServiceInstance>? last = null;
        while (true)
        {
            IReadOnlyList<ServiceInstance> set;
            TimeSpan ttl;
            try
            {
                (set, ttl) = await ResolveWithTtlAsync(service, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            var refresh = TimeSpan.FromTicks(Math.Clamp(ttl.Ticks, _options.MinRefreshInterval.Ticks, _options.MaxRefreshInterval.Ticks));
            if (last is null || !InstanceSets.Same(last, set))
            {
                if (last is not null) DnsLog.SetChanged(_log, service, set.Count, refresh);
                last = set;
                yield return set;
            }
            try
            {
                await Task.Delay(refresh, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    /// <summary>The instance set and the shortest TTL among the records it came from (zero for an empty set).</summary>
    internal async Task<(IReadOnlyList<ServiceInstance> Instances, TimeSpan Ttl)> ResolveWithTtlAsync(string service, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        var name = _options.NameFor(service);
        DnsQueryWriter.Validate(name);
        var ttl = new TtlTracker(_options.MaxRefreshInterval);
        var instances = _options.Mode == DnsDiscoveryMode.Srv
            ? await ResolveSrvAsync(service, name, ttl, ct).ConfigureAwait(false)
            : await ResolveHeadlessAsync(service, name, ttl, ct).ConfigureAwait(false);
        // Nothing published (yet): look again soon, so a service that appears is seen within MinRefreshInterval.
        return (instances, instances.Count == 0 ? TimeSpan.Zero : ttl.Shortest);
    }

    private async Task<List<ServiceInstance>> ResolveSrvAsync(string service, string name, TtlTracker ttl, CancellationToken ct)
    {
        var response = await AskAsync(name, DnsRecordType.Srv, ct).ConfigureAwait(false);
        var result = new List<ServiceInstance>();
        if (response is null) return result;
        var owners = Aliases(Normalize(name), response.Answers, ttl);
        var records = response.Answers.OfType<SrvRecord>().Where(r => owners.Contains(r.Name) && r.Target.Length > 0).ToList();
        if (records.Count == 0) return result; // no records, or only "." targets: the service is declared absent
        if (!_options.IncludeAllPriorities)
        {
            int lowest = records.Min(r => r.Priority);
            records.RemoveAll(r => r.Priority != lowest);
        }
        var addressCache = new Dictionary<string, List<IPAddress>>(StringComparer.Ordinal);
        foreach (var srv in records)
        {
            ttl.See(srv.Ttl);
            if (!addressCache.TryGetValue(srv.Target, out var addresses))
            {
                addresses = FromSections(srv.Target, response, ttl);
                if (addresses.Count == 0) addresses = await LookUpAddressesAsync(srv.Target, ttl, ct).ConfigureAwait(false);
                addressCache[srv.Target] = addresses;
                if (addresses.Count == 0) DnsLog.TargetWithoutAddress(_log, srv.Target, name);
            }
            foreach (var address in addresses)
            {
                result.Add(new ServiceInstance(service, Format(address, srv.Port))
                {
                    // SRV weight 0 means "rarely, when nothing else": the smallest positive weight says that to weighted balancers.
                    Weight = Math.Max(1, (int)srv.Weight),
                    Metadata = new Dictionary<string, string>(3, StringComparer.Ordinal)
                    {
                        [TargetMetadataKey] = srv.Target,
                        [PriorityMetadataKey] = srv.Priority.ToString(CultureInfo.InvariantCulture),
                        [WeightMetadataKey] = srv.Weight.ToString(CultureInfo.InvariantCulture),
                    },
                });
            }
        }
        return Distinct(result);
    }

    private async Task<List<ServiceInstance>> ResolveHeadlessAsync(string service, string name, TtlTracker ttl, CancellationToken ct)
    {
        var target = Normalize(name);
        var addresses = await LookUpAddressesAsync(target, ttl, ct).ConfigureAwait(false);
        var metadata = new Dictionary<string, string>(1, StringComparer.Ordinal) { [TargetMetadataKey] = target };
        return Distinct(addresses.Select(a => new ServiceInstance(service, Format(a, _options.Port)) { Metadata = metadata }).ToList());
    }

    /// <summary>Asks A and/or AAAA (per <see cref="DnsDiscoveryOptions.AddressFamily"/>) for <paramref name="host"/>.</summary>
    private async Task<List<IPAddress>> LookUpAddressesAsync(string host, TtlTracker ttl, CancellationToken ct)
    {
        var result = new List<IPAddress>();
        if (_options.AddressFamily != DnsAddressFamily.IPv6) result.AddRange(await AddressesAsync(host, DnsRecordType.A, ttl, ct).ConfigureAwait(false));
        if (_options.AddressFamily != DnsAddressFamily.IPv4) result.AddRange(await AddressesAsync(host, DnsRecordType.Aaaa, ttl, ct).ConfigureAwait(false));
        return result;
    }

    private async Task<IEnumerable<IPAddress>> AddressesAsync(string host, DnsRecordType type, TtlTracker ttl, CancellationToken ct)
    {
        var response = await AskAsync(host, type, ct).ConfigureAwait(false);
        if (response is null) return [];
        var owners = Aliases(host, response.Answers, ttl);
        var family = type == DnsRecordType.A ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        var records = response.Answers.OfType<AddressRecord>().Where(r => owners.Contains(r.Name) && r.Address.AddressFamily == family).ToList();
        foreach (var r in records) ttl.See(r.Ttl);
        return records.Select(r => r.Address);
    }

    /// <summary>The addresses of <paramref name="target"/> the server volunteered in the answer or additional section.</summary>
    private List<IPAddress> FromSections(string target, DnsResponse response, TtlTracker ttl)
    {
        var all = response.Answers.Concat(response.Additional).ToList();
        var owners = Aliases(target, all, ttl);
        var records = all.OfType<AddressRecord>().Where(r => owners.Contains(r.Name) && Wanted(r.Address)).ToList();
        foreach (var r in records) ttl.See(r.Ttl);
        return records.Select(r => r.Address).Distinct().ToList();
    }

    private bool Wanted(IPAddress address) => _options.AddressFamily switch
    {
        DnsAddressFamily.IPv4 => address.AddressFamily == AddressFamily.InterNetwork,
        DnsAddressFamily.IPv6 => address.AddressFamily == AddressFamily.InterNetworkV6,
        _ => true,
    };

    /// <summary><paramref name="name"/> and every name it is an alias of, following at most <see cref="MaxCnameHops"/> CNAMEs.</summary>
    private static HashSet<string> Aliases(string name, List<DnsRecord> records, TtlTracker ttl)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal) { name };
        var current = name;
        for (int hop = 0; hop < MaxCnameHops; hop++)
        {
            var cname = records.OfType<CnameRecord>().FirstOrDefault(c => c.Name == current);
            if (cname is null || !owners.Add(cname.Target)) break;
            ttl.See(cname.Ttl);
            current = cname.Target;
        }
        return owners;
    }

    /// <summary>The response, or null when the name does not exist; server errors become <see cref="RegistryUnavailableException"/>.</summary>
    private async Task<DnsResponse?> AskAsync(string name, DnsRecordType type, CancellationToken ct)
    {
        var response = await _transport.QueryAsync(name, type, ct).ConfigureAwait(false);
        return response.Code switch
        {
            DnsResponseCode.NoError => response,
            DnsResponseCode.NameError => null,
            _ => throw new RegistryUnavailableException(Name, $"DNS server {Server} answered {type} {name} with {response.Code} (rcode {(int)response.Code})"),
        };
    }

    private static string Normalize(string name) => (name.EndsWith('.') ? name[..^1] : name).ToLowerInvariant();

    private static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    /// <summary>One instance per address: a host listed twice (two SRV records, A in both sections) is one listener.</summary>
    private static List<ServiceInstance> Distinct(List<ServiceInstance> instances) =>
        instances.DistinctBy(i => i.Id, StringComparer.Ordinal).ToList();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Tracks the shortest TTL of the records a set was built from.</summary>
    private sealed class TtlTracker(TimeSpan initial)
    {
        public TimeSpan Shortest { get; private set; } = initial;

        public void See(uint seconds)
        {
            var ttl = TimeSpan.FromSeconds(seconds);
            if (ttl < Shortest) Shortest = ttl;
        }
    }
}
