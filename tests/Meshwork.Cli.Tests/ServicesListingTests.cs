using System.Text.Json;
using Meshwork.Discovery;
using Meshwork.Discovery.Etcd;
using Meshwork.Discovery.ZooKeeper;
using Meshwork.Discovery.ZooKeeper.Tests;
using Meshwork.Governance.Tests;

namespace Meshwork.Cli.Tests;

/// <summary>
/// <c>meshwork services</c> without names against the real registries: etcd and ZooKeeper list every service they
/// hold; DNS cannot (the protocol has no "every name" query) and says so.
/// </summary>
public sealed class ServicesListingTests
{
    private static readonly ServiceInstance[] Instances =
    [
        new("Shop", "127.0.0.1:7101") { Weight = 7 },
        new("Shop", "127.0.0.1:7102"),
        new("Cart", "127.0.0.1:7103") { Zone = "eu-1" },
    ];

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Services_without_names_lists_every_service_in_etcd()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var registry = new EtcdServiceRegistry(new EtcdDiscoveryOptions { Endpoint = etcd.Endpoint });
        foreach (var i in Instances) await registry.RegisterAsync(i);

        await AssertListedAsync(["--etcd", etcd.Endpoint]);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Services_without_names_lists_every_service_in_zookeeper()
    {
        await using var zk = await ZooKeeperServer.StartAsync();
        await using var registry = new ZooKeeperServiceRegistry(new ZooKeeperDiscoveryOptions { ConnectString = zk.ConnectString });
        foreach (var i in Instances) await registry.RegisterAsync(i);

        await AssertListedAsync(["--zookeeper", zk.ConnectString]);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task A_service_name_with_a_slash_or_a_space_is_listed_whole_and_kept_apart_from_its_prefix_in_etcd_and_zookeeper()
    {
        const string name = "shop/v2 beta";
        await using var etcd = await EtcdServer.StartAsync();
        await using var zk = await ZooKeeperServer.StartAsync();
        await using var etcdRegistry = new EtcdServiceRegistry(new EtcdDiscoveryOptions { Endpoint = etcd.Endpoint });
        await using var zkRegistry = new ZooKeeperServiceRegistry(new ZooKeeperDiscoveryOptions { ConnectString = zk.ConnectString });
        await etcdRegistry.RegisterAsync(new ServiceInstance(name, "127.0.0.1:7201"));
        await zkRegistry.RegisterAsync(new ServiceInstance(name, "127.0.0.1:7201"));
        // "shop" shares the etcd key prefix "shop/" with "shop/v2 beta", and must still show only its own instance.
        await etcdRegistry.RegisterAsync(new ServiceInstance("shop", "127.0.0.1:7202"));
        await zkRegistry.RegisterAsync(new ServiceInstance("shop", "127.0.0.1:7202"));

        foreach (string[] registry in new[] { ["--etcd", etcd.Endpoint], new[] { "--zookeeper", zk.ConnectString } })
        {
            var (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", "--json", .. registry]);
            Assert.True(code == 0, stderr + stdout);
            var services = JsonDocument.Parse(stdout).RootElement.GetProperty("services").EnumerateArray().ToList();
            Assert.Equal(["shop", name], services.Select(s => s.GetProperty("name").GetString()));
            Assert.Equal("127.0.0.1:7202", Assert.Single(services[0].GetProperty("instances").EnumerateArray()).GetProperty("address").GetString());
            Assert.Equal("127.0.0.1:7201", Assert.Single(services[1].GetProperty("instances").EnumerateArray()).GetProperty("address").GetString());
        }
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Services_lists_nothing_from_an_empty_etcd_or_zookeeper()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var zk = await ZooKeeperServer.StartAsync();
        foreach (string[] registry in new[] { ["--etcd", etcd.Endpoint], new[] { "--zookeeper", zk.ConnectString } })
        {
            var (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", .. registry]);
            Assert.True(code == 0, stderr + stdout);
            Assert.Equal("no services", stdout.Trim());
        }
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Services_without_names_on_dns_says_names_are_required_and_why()
    {
        const string domain = "svc.cluster.local";
        await using var dns = await DnsmasqServer.StartAsync([new("_rpc._tcp.shop." + domain, "shop-0." + domain, 7000)], [new("shop-0." + domain, "127.0.0.10")], domain);
        string[] registry = ["--dns", dns.Endpoint, "--registry-key", "Domain=" + domain];

        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", .. registry]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("error: the dns registry cannot list its services", stderr, StringComparison.Ordinal);
        Assert.Contains("zone transfer", stderr, StringComparison.Ordinal);
        Assert.Contains("meshwork services <service>", stderr, StringComparison.Ordinal);

        // The reason given holds for this server: it refuses a zone transfer of the domain.
        var (_, axfr, _) = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), domain, "AXFR", "+tries=1", "+time=5"]);
        Assert.DoesNotContain("_rpc._tcp.shop", axfr, StringComparison.Ordinal);

        // Named, the same registry answers.
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", "shop", "--json", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        var service = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("services").EnumerateArray());
        Assert.Equal("127.0.0.10:7000", Assert.Single(service.GetProperty("instances").EnumerateArray()).GetProperty("address").GetString());
    }

    /// <summary>Both services, as JSON and as a table, with the registered instances.</summary>
    private static async Task AssertListedAsync(string[] registry)
    {
        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", "--json", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        var services = JsonDocument.Parse(stdout).RootElement.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(["Cart", "Shop"], services.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal("eu-1", Assert.Single(services[0].GetProperty("instances").EnumerateArray()).GetProperty("zone").GetString());
        var shop = services[1].GetProperty("instances").EnumerateArray().ToList();
        Assert.Equal(["127.0.0.1:7101", "127.0.0.1:7102"], shop.Select(i => i.GetProperty("address").GetString()));
        Assert.Equal(7, shop[0].GetProperty("weight").GetInt32());

        (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        var lines = stdout.Trim().Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^Cart\s+127\.0\.0\.1:7103\s+-\s+0\.0\.0\s+eu-1\s+100\s+healthy$", lines[1]);
        Assert.Matches(@"^Shop\s+127\.0\.0\.1:7101\s+-\s+0\.0\.0\s+-\s+7\s+healthy$", lines[2]);
        Assert.Matches(@"^Shop\s+127\.0\.0\.1:7102\s+", lines[3]);
    }
}
