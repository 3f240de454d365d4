using System.Net;
using System.Net.Sockets;
using Meshwork.Discovery.Dns;

namespace Meshwork.Discovery.Dns.Tests;

/// <summary>The DNS registry against a real dnsmasq on a free loopback port.</summary>
[Trait("Category", "Interop")]
public sealed class DnsRegistryTests
{
    private const string Domain = "svc.cluster.local";
    private const string EchoSrv = "_rpc._tcp.echo." + Domain;

    private static DnsDiscoveryOptions Options(DnsmasqServer dns) => new()
    {
        Server = dns.Endpoint,
        Domain = Domain,
        MinRefreshInterval = TimeSpan.FromMilliseconds(100),
        MaxRefreshInterval = TimeSpan.FromSeconds(5),
    };

    private static readonly DnsHostRecord[] EchoHosts =
    [
        new("echo-0." + Domain, "127.0.0.10"),
        new("echo-1." + Domain, "127.0.0.11"),
        new("echo-1." + Domain, "::1"),
        new("echo-2." + Domain, "127.0.0.12"),
        new("echo-3." + Domain, "127.0.0.13"),
    ];

    private static readonly DnsSrvRecord[] EchoSrvRecords =
    [
        new(EchoSrv, "echo-0." + Domain, 7000, Priority: 0, Weight: 10),
        new(EchoSrv, "echo-1." + Domain, 7001, Priority: 0, Weight: 30),
        new(EchoSrv, "echo-3." + Domain, 7003, Priority: 0, Weight: 0),
        new(EchoSrv, "echo-2." + Domain, 7002, Priority: 5, Weight: 50),
    ];

    [Fact]
    public async Task Srv_records_become_instances_with_their_weights_ports_and_targets_from_the_lowest_priority_group()
    {
        await using var dns = await DnsmasqServer.StartAsync(EchoSrvRecords, EchoHosts);
        await using var registry = new DnsServiceRegistry(Options(dns));

        var set = await registry.ResolveAsync("echo");

        var byAddress = set.ToDictionary(i => i.Address);
        Assert.Equal(["127.0.0.10:7000", "127.0.0.11:7001", "127.0.0.13:7003", "[::1]:7001"], byAddress.Keys.Order(StringComparer.Ordinal));
        Assert.All(set, i => Assert.Equal("echo", i.Service));
        Assert.Equal(10, byAddress["127.0.0.10:7000"].Weight);
        Assert.Equal(30, byAddress["127.0.0.11:7001"].Weight);
        Assert.Equal(30, byAddress["[::1]:7001"].Weight);
        Assert.Equal(1, byAddress["127.0.0.13:7003"].Weight); // SRV weight 0: the smallest positive weight
        Assert.Equal("0", byAddress["127.0.0.13:7003"].Metadata[DnsServiceRegistry.WeightMetadataKey]);
        Assert.Equal("echo-1." + Domain, byAddress["[::1]:7001"].Metadata[DnsServiceRegistry.TargetMetadataKey]);
        Assert.Equal("0", byAddress["127.0.0.10:7000"].Metadata[DnsServiceRegistry.PriorityMetadataKey]);
        // dnsmasq sends the targets' addresses in the additional section: no second round trip was needed.
        await dns.SyncLogAsync();
        Assert.Equal(0, dns.QueriesFor("echo-0." + Domain) + dns.QueriesFor("echo-1." + Domain));
        Assert.Equal(1, dns.QueriesFor(EchoSrv));
    }

    [Fact]
    public async Task A_target_the_server_sends_no_addresses_for_is_looked_up_through_its_cname()
    {
        // dnsmasq puts no additional records for a target that is an alias: the registry must ask A itself.
        await using var dns = await DnsmasqServer.StartAsync([new("_rpc._tcp.cn." + Domain, "alias." + Domain, 7000)],
            [new("real." + Domain, "127.0.0.40")], cnames: [new("alias." + Domain, "real." + Domain)]);
        var options = Options(dns);
        options.AddressFamily = DnsAddressFamily.IPv4;
        await using var registry = new DnsServiceRegistry(options);

        var instance = Assert.Single(await registry.ResolveAsync("cn"));

        Assert.Equal("127.0.0.40:7000", instance.Address);
        Assert.Equal("alias." + Domain, instance.Metadata[DnsServiceRegistry.TargetMetadataKey]);
        await dns.SyncLogAsync();
        Assert.Equal(1, dns.QueriesFor("alias." + Domain));
    }

    [Fact]
    public async Task Backup_priorities_are_included_on_request_and_marked()
    {
        await using var dns = await DnsmasqServer.StartAsync(EchoSrvRecords, EchoHosts);
        var options = Options(dns);
        options.IncludeAllPriorities = true;
        options.AddressFamily = DnsAddressFamily.IPv4;
        await using var registry = new DnsServiceRegistry(options);

        var set = await registry.ResolveAsync("echo");

        Assert.Equal(["127.0.0.10:7000", "127.0.0.11:7001", "127.0.0.12:7002", "127.0.0.13:7003"], set.Select(i => i.Address).Order(StringComparer.Ordinal));
        Assert.Equal("5", set.Single(i => i.Address == "127.0.0.12:7002").Metadata[DnsServiceRegistry.PriorityMetadataKey]);
    }

    [Fact]
    public async Task Headless_service_address_records_are_the_instances_on_the_configured_port()
    {
        await using var dns = await DnsmasqServer.StartAsync([], [new("web." + Domain, "127.0.0.20"), new("web." + Domain, "127.0.0.21")]);
        var options = Options(dns);
        options.Mode = DnsDiscoveryMode.Headless;
        options.Port = 8080;
        await using var registry = new DnsServiceRegistry(options);

        var set = await registry.ResolveAsync("web");

        Assert.Equal(["127.0.0.20:8080", "127.0.0.21:8080"], set.Select(i => i.Address).Order(StringComparer.Ordinal));
        Assert.All(set, i => Assert.Equal("web." + Domain, i.Metadata[DnsServiceRegistry.TargetMetadataKey]));
    }

    [Fact]
    public async Task A_headless_watch_yields_the_new_set_when_the_records_change_and_not_before()
    {
        await using var dns = await DnsmasqServer.StartAsync([], [new("web." + Domain, "127.0.0.20")]);
        var options = Options(dns);
        options.Mode = DnsDiscoveryMode.Headless;
        options.Port = 8080;
        await using var registry = new DnsServiceRegistry(options);
        await using var watch = registry.WatchAsync("web", Eventually.Token()).GetAsyncEnumerator();

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["127.0.0.20:8080"], watch.Current.Select(i => i.Address));
        // Let the watch re-resolve the unchanged records first (TTL 0: every 100 ms); a watch that
        // yielded on every resolve would then hand back the unchanged set next instead of the new one.
        var next = watch.MoveNextAsync();
        int asked = dns.QueriesFor("web." + Domain);
        await Eventually.TrueAsync(() => dns.QueriesFor("web." + Domain) > asked, "the watch re-resolved web");
        await dns.SetHostsAsync([new("web." + Domain, "127.0.0.20"), new("web." + Domain, "127.0.0.22")]);
        Assert.True(await next);
        Assert.Equal(["127.0.0.20:8080", "127.0.0.22:8080"], watch.Current.Select(i => i.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_srv_watch_sees_a_target_move_to_a_new_address()
    {
        await using var dns = await DnsmasqServer.StartAsync([new(EchoSrv, "echo-0." + Domain, 7000)], [new("echo-0." + Domain, "127.0.0.10")]);
        await using var registry = new DnsServiceRegistry(Options(dns));
        await using var watch = registry.WatchAsync("echo", Eventually.Token()).GetAsyncEnumerator();

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["127.0.0.10:7000"], watch.Current.Select(i => i.Address));
        var next = watch.MoveNextAsync();
        int asked = dns.QueriesFor(EchoSrv);
        await Eventually.TrueAsync(() => dns.QueriesFor(EchoSrv) > asked, "the watch re-resolved the SRV name");
        await dns.SetHostsAsync([new("echo-0." + Domain, "127.0.0.30")]);
        Assert.True(await next);
        Assert.Equal(["127.0.0.30:7000"], watch.Current.Select(i => i.Address));
    }

    [Fact]
    public async Task A_cached_srv_watch_sees_new_records_across_a_dns_server_restart()
    {
        await using var dns = await DnsmasqServer.StartAsync([new(EchoSrv, "echo-0." + Domain, 7000)], EchoHosts);
        // The plain watch ends with RegistryUnavailableException while the server is down; the cache reconnects.
        await using var registry = new CachedServiceRegistry(new DnsServiceRegistry(Options(dns)),
            new ServiceCacheOptions { ReconnectInitial = TimeSpan.FromMilliseconds(50), ReconnectMax = TimeSpan.FromMilliseconds(500) });
        await using var watch = registry.WatchAsync("echo", Eventually.Token()).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["127.0.0.10:7000"], watch.Current.Select(i => i.Address));

        await dns.RestartAsync([new(EchoSrv, "echo-0." + Domain, 7000), new(EchoSrv, "echo-2." + Domain, 7002)]);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["127.0.0.10:7000", "127.0.0.12:7002"], watch.Current.Select(i => i.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_name_that_does_not_exist_resolves_to_an_empty_set()
    {
        await using var dns = await DnsmasqServer.StartAsync([.. EchoSrvRecords, new("_rpc._tcp.gone." + Domain, "", 0)], EchoHosts);
        await using var srv = new DnsServiceRegistry(Options(dns));
        var headlessOptions = Options(dns);
        headlessOptions.Mode = DnsDiscoveryMode.Headless;
        headlessOptions.Port = 80;
        await using var headless = new DnsServiceRegistry(headlessOptions);

        Assert.Contains("NXDOMAIN", await DigStatusAsync(dns, "_rpc._tcp.nothere." + Domain, "SRV"));
        Assert.Empty(await srv.ResolveAsync("nothere"));
        Assert.Empty(await headless.ResolveAsync("nothere"));
        Assert.Contains(" .", await dns.DigAsync("_rpc._tcp.gone." + Domain, "SRV"), StringComparison.Ordinal);
        Assert.Empty(await srv.ResolveAsync("gone")); // target "." declares the service absent
        Assert.NotEmpty(await srv.ResolveAsync("echo"));
    }

    private static async Task<string> DigStatusAsync(DnsmasqServer dns, string name, string type)
    {
        var (_, stdout, _) = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), name, type]);
        return stdout;
    }

    [Fact]
    public async Task A_truncated_udp_answer_is_asked_again_over_tcp()
    {
        var hosts = Enumerable.Range(1, 40).Select(i => new DnsHostRecord($"big-{i}.{Domain}", $"127.0.1.{i}")).ToArray();
        var srv = hosts.Select(h => new DnsSrvRecord("_rpc._tcp.big." + Domain, h.Name, 7000)).ToArray();
        await using var dns = await DnsmasqServer.StartAsync(srv, hosts);
        var options = Options(dns);
        options.UdpPayloadSize = 0; // classic 512-byte UDP: 40 SRV records cannot fit
        await using var registry = new DnsServiceRegistry(options);

        var set = await registry.ResolveAsync("big");

        Assert.Equal(40, set.Count);
        Assert.True(registry.TcpFallbacks >= 1);
    }

    [Fact]
    public async Task A_stopped_server_is_RegistryUnavailableException()
    {
        await using var dns = await DnsmasqServer.StartAsync(EchoSrvRecords, EchoHosts);
        var options = Options(dns);
        options.Timeout = TimeSpan.FromMilliseconds(500);
        await using var registry = new DnsServiceRegistry(options);
        Assert.NotEmpty(await registry.ResolveAsync("echo"));

        await dns.StopAsync();

        var e = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await registry.ResolveAsync("echo"));
        Assert.Equal("dns", e.Registry);
        Assert.Contains(dns.Endpoint, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_RegistryUnavailableException_after_the_attempts()
    {
        // A bound UDP socket that reads nothing: queries vanish as into a black hole.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var registry = new DnsServiceRegistry(new DnsDiscoveryOptions
        {
            Server = silent.LocalEndPoint!.ToString()!,
            Timeout = TimeSpan.FromMilliseconds(200),
            Attempts = 2,
        });

        var e = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await registry.ResolveAsync("echo"));
        Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_and_deregister_explain_that_dns_is_read_only()
    {
        await using var registry = new DnsServiceRegistry(new DnsDiscoveryOptions { Server = "127.0.0.1:53" });
        var instance = new ServiceInstance("echo", "127.0.0.1:7000");

        var register = await Assert.ThrowsAsync<NotSupportedException>(async () => await registry.RegisterAsync(instance));
        var deregister = await Assert.ThrowsAsync<NotSupportedException>(async () => await registry.DeregisterAsync(instance));

        Assert.Contains("read-only", register.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", deregister.Message, StringComparison.Ordinal);
    }
}
