using System.Net;

namespace Meshwork.Discovery.Dns;

/// <summary>What a service name is looked up as.</summary>
public enum DnsDiscoveryMode
{
    /// <summary>SRV records name the instances' hosts and ports (Kubernetes named ports, Consul DNS, hand-written zones).</summary>
    Srv = 0,

    /// <summary>
    /// The A/AAAA records of one name are the instances (a Kubernetes headless service); every instance listens on
    /// <see cref="DnsDiscoveryOptions.Port"/>.
    /// </summary>
    Headless = 1,
}

/// <summary>Which address records to use for a host.</summary>
public enum DnsAddressFamily
{
    /// <summary>IPv4 and IPv6: A and AAAA records.</summary>
    Any = 0,

    /// <summary>IPv4 only: A records.</summary>
    IPv4 = 1,

    /// <summary>IPv6 only: AAAA records.</summary>
    IPv6 = 2,
}

/// <summary>Settings of <see cref="DnsServiceRegistry"/>. Every setting has a default; <see cref="Validate"/> checks them.</summary>
public sealed class DnsDiscoveryOptions
{
    /// <summary>Default SRV name: <c>_rpc._tcp.orders.default.svc.cluster.local</c> for service <c>orders</c>.</summary>
    public const string DefaultSrvTemplate = "_{endpoint}._{protocol}.{service}.{domain}";

    /// <summary>Default headless-service name: <c>orders.default.svc.cluster.local</c> for service <c>orders</c>.</summary>
    public const string DefaultHeadlessTemplate = "{service}.{domain}";

    /// <summary>
    /// The DNS server as <c>ip</c> or <c>ip:port</c> (<c>[v6]:port</c>), for example <c>10.96.0.10</c> or
    /// <c>127.0.0.1:5353</c>. Default empty: the first <c>nameserver</c> of /etc/resolv.conf, port 53, which is what
    /// the platform's own resolver asks (in Kubernetes, the cluster DNS).
    /// </summary>
    public string Server { get; set; } = "";

    /// <summary>SRV records (default) or the address records of a headless service.</summary>
    public DnsDiscoveryMode Mode { get; set; } = DnsDiscoveryMode.Srv;

    /// <summary>
    /// How a service name becomes a DNS name; placeholders <c>{service}</c>, <c>{endpoint}</c>, <c>{protocol}</c>,
    /// <c>{domain}</c>. Default null: <see cref="DefaultSrvTemplate"/> in SRV mode, <see cref="DefaultHeadlessTemplate"/>
    /// in headless mode (the Kubernetes naming rules).
    /// </summary>
    public string? NameTemplate { get; set; }

    /// <summary>The port name for <c>{endpoint}</c> (a Kubernetes named port). Default <c>rpc</c>, the port Meshwork servers expose.</summary>
    public string EndpointName { get; set; } = "rpc";

    /// <summary>The protocol for <c>{protocol}</c>. Default <c>tcp</c>: Meshwork RPC runs over TCP.</summary>
    public string Protocol { get; set; } = "tcp";

    /// <summary>
    /// The domain for <c>{domain}</c>. Default <c>default.svc.cluster.local</c>: the Kubernetes default namespace.
    /// Empty is allowed (the template then must not need it).
    /// </summary>
    public string Domain { get; set; } = "default.svc.cluster.local";

    /// <summary>The instances' port in headless mode (required there, 1..65535); ignored in SRV mode, where records carry ports.</summary>
    public int Port { get; set; }

    /// <summary>Address records to use. Default <see cref="DnsAddressFamily.Any"/>: dual-stack clusters publish both.</summary>
    public DnsAddressFamily AddressFamily { get; set; } = DnsAddressFamily.Any;

    /// <summary>
    /// Whether SRV records of every priority are instances (each with metadata <c>dns.priority</c>). Default false:
    /// only the lowest-priority group, as RFC 2782 asks clients to prefer it; higher priorities are backups that
    /// appear when the lower group's records are withdrawn.
    /// </summary>
    public bool IncludeAllPriorities { get; set; }

    /// <summary>Time to wait for one answer. Default 2 s: a healthy resolver answers in milliseconds, a loaded one well within 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>UDP attempts per question (1..10). Default 2: one lost datagram does not fail a resolve.</summary>
    public int Attempts { get; set; } = 2;

    /// <summary>
    /// The shortest wait between two resolves of a watch, whatever the TTL. Default 1 s: records with TTL 0 (dnsmasq's
    /// local records, some service meshes) would otherwise be polled in a tight loop.
    /// </summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait between two resolves of a watch, whatever the TTL. Default 30 s: a change is seen within
    /// 30 s even behind records published with hour-long TTLs.
    /// </summary>
    public TimeSpan MaxRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The UDP answer size advertised with EDNS(0) (512..65535), or 0 for classic 512-byte DNS without EDNS. Default
    /// 1232, the size recommended to avoid IP fragmentation; larger answers come over TCP.
    /// </summary>
    public int UdpPayloadSize { get; set; } = 1232;

    /// <summary>The template in effect: <see cref="NameTemplate"/> or the mode's default.</summary>
    public string EffectiveTemplate => NameTemplate ?? (Mode == DnsDiscoveryMode.Srv ? DefaultSrvTemplate : DefaultHeadlessTemplate);

    private static readonly string[] Placeholders = ["{service}", "{endpoint}", "{protocol}", "{domain}"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!string.IsNullOrEmpty(Server) && !TryParseServer(Server, out _))
        {
            throw new ArgumentException($"DnsDiscoveryOptions.Server '{Server}' is not an IP address with an optional port, such as 10.96.0.10 or 127.0.0.1:5353");
        }
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"DnsDiscoveryOptions.Mode {(int)Mode} is not a mode");
        if (!Enum.IsDefined(AddressFamily)) throw new ArgumentException($"DnsDiscoveryOptions.AddressFamily {(int)AddressFamily} is not an address family");
        var template = EffectiveTemplate;
        if (!template.Contains("{service}", StringComparison.Ordinal)) throw new ArgumentException($"DnsDiscoveryOptions.NameTemplate '{template}' must contain {{service}}");
        var rest = template;
        foreach (var p in Placeholders) rest = rest.Replace(p, "x", StringComparison.Ordinal);
        if (rest.Contains('{', StringComparison.Ordinal) || rest.Contains('}', StringComparison.Ordinal))
        {
            throw new ArgumentException($"DnsDiscoveryOptions.NameTemplate '{template}' has an unknown placeholder; known: {string.Join(", ", Placeholders)}");
        }
        if (template.Contains("{endpoint}", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(EndpointName)) throw new ArgumentException("DnsDiscoveryOptions.EndpointName must be set: the name template uses {endpoint}");
        if (template.Contains("{protocol}", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(Protocol)) throw new ArgumentException("DnsDiscoveryOptions.Protocol must be set: the name template uses {protocol}");
        if (template.Contains("{domain}", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(Domain)) throw new ArgumentException("DnsDiscoveryOptions.Domain must be set: the name template uses {domain}");
        CheckPart(nameof(EndpointName), EndpointName);
        CheckPart(nameof(Protocol), Protocol);
        CheckPart(nameof(Domain), Domain);
        try
        {
            DnsQueryWriter.Validate(NameFor("service"));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"DnsDiscoveryOptions.NameTemplate '{template}' does not give a valid DNS name: {e.Message}", e);
        }
        if (Mode == DnsDiscoveryMode.Headless && Port is < 1 or > 65535) throw new ArgumentException($"DnsDiscoveryOptions.Port {Port} must be 1..65535 in headless mode");
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1)) throw new ArgumentException($"DnsDiscoveryOptions.Timeout {Timeout} must be positive and at most 1 minute");
        if (Attempts is < 1 or > 10) throw new ArgumentException($"DnsDiscoveryOptions.Attempts {Attempts} must be 1..10");
        if (MinRefreshInterval <= TimeSpan.Zero) throw new ArgumentException($"DnsDiscoveryOptions.MinRefreshInterval {MinRefreshInterval} must be positive");
        if (MaxRefreshInterval < MinRefreshInterval) throw new ArgumentException($"DnsDiscoveryOptions.MaxRefreshInterval {MaxRefreshInterval} must not be below MinRefreshInterval {MinRefreshInterval}");
        if (UdpPayloadSize != 0 && UdpPayloadSize is < 512 or > 65535) throw new ArgumentException($"DnsDiscoveryOptions.UdpPayloadSize {UdpPayloadSize} must be 0 (no EDNS) or 512..65535");
    }

    private static void CheckPart(string option, string value)
    {
        if (string.IsNullOrEmpty(value)) return;
        try
        {
            DnsQueryWriter.Validate(value);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"DnsDiscoveryOptions.{option} '{value}' is not valid in a DNS name: {e.Message}", e);
        }
    }

    /// <summary>The DNS name asked for <paramref name="service"/>.</summary>
    public string NameFor(string service) =>
        EffectiveTemplate
            .Replace("{service}", service, StringComparison.Ordinal)
            .Replace("{endpoint}", EndpointName, StringComparison.Ordinal)
            .Replace("{protocol}", Protocol, StringComparison.Ordinal)
            .Replace("{domain}", Domain, StringComparison.Ordinal);

    /// <summary>Parses <c>ip</c>, <c>ip:port</c> or <c>[v6]:port</c>; the port defaults to 53.</summary>
    public static bool TryParseServer(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (IPAddress.TryParse(text, out var bare) && !text.Contains(']', StringComparison.Ordinal))
        {
            endPoint = new IPEndPoint(bare, 53);
            return true;
        }
        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port is > 0)
        {
            endPoint = parsed;
            return true;
        }
        return false;
    }
}
