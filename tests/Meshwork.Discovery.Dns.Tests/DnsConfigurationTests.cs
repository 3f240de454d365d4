using Meshwork.Discovery.Dns;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery.Dns.Tests;

public sealed class DnsConfigurationTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Meshwork:Registry");

    [Fact]
    public void Every_key_is_read()
    {
        var o = DnsServiceRegistryProvider.ReadOptions(Section(new()
        {
            ["Meshwork:Registry:Type"] = "dns",
            ["Meshwork:Registry:Server"] = "[::1]:5353",
            ["Meshwork:Registry:Mode"] = "Headless",
            ["Meshwork:Registry:NameTemplate"] = "{service}.{domain}",
            ["Meshwork:Registry:Domain"] = "prod.svc.cluster.local",
            ["Meshwork:Registry:Port"] = "9000",
            ["Meshwork:Registry:AddressFamily"] = "ipv6",
            ["Meshwork:Registry:IncludeAllPriorities"] = "true",
            ["Meshwork:Registry:Timeout"] = "750ms",
            ["Meshwork:Registry:Attempts"] = "3",
            ["Meshwork:Registry:MinRefreshInterval"] = "2s",
            ["Meshwork:Registry:MaxRefreshInterval"] = "1m",
            ["Meshwork:Registry:UdpPayloadSize"] = "0",
        }));
        Assert.Equal("[::1]:5353", o.Server);
        Assert.Equal(DnsDiscoveryMode.Headless, o.Mode);
        Assert.Equal("orders.prod.svc.cluster.local", o.NameFor("orders"));
        Assert.Equal(9000, o.Port);
        Assert.Equal(DnsAddressFamily.IPv6, o.AddressFamily);
        Assert.True(o.IncludeAllPriorities);
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.Timeout);
        Assert.Equal(3, o.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(2), o.MinRefreshInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), o.MaxRefreshInterval);
        Assert.Equal(0, o.UdpPayloadSize);
    }

    [Fact]
    public void Defaults_follow_the_kubernetes_naming()
    {
        var o = DnsServiceRegistryProvider.ReadOptions(Section(new() { ["Meshwork:Registry:Type"] = "dns" }));
        Assert.Equal("_rpc._tcp.orders.default.svc.cluster.local", o.NameFor("orders"));
    }

    [Theory]
    [InlineData("Server", "dns.example.com", "Server")]
    [InlineData("Mode", "multicast", "Mode")]
    [InlineData("Mode", "headless", "Port")] // headless without a port
    [InlineData("Port", "70000", "Port")]
    [InlineData("AddressFamily", "ipx", "AddressFamily")]
    [InlineData("IncludeAllPriorities", "maybe", "IncludeAllPriorities")]
    [InlineData("Timeout", "-1s", "Timeout")]
    [InlineData("Timeout", "soon", "Timeout")]
    [InlineData("Attempts", "0", "Attempts")]
    [InlineData("MinRefreshInterval", "0ms", "MinRefreshInterval")]
    [InlineData("MaxRefreshInterval", "100ms", "MaxRefreshInterval")] // below the 1 s minimum
    [InlineData("UdpPayloadSize", "100", "UdpPayloadSize")]
    [InlineData("NameTemplate", "{service}.{zone}", "NameTemplate")]
    [InlineData("NameTemplate", "_rpc._tcp.local", "NameTemplate")] // no {service}
    [InlineData("EndpointName", "this-label-is-far-too-long-for-dns-because-a-label-holds-63-bytes", "EndpointName")]
    [InlineData("Domain", "bad..domain", "Domain")]
    public void A_bad_value_fails_with_an_error_naming_its_key(string key, string value, string reportedKey)
    {
        var e = Assert.Throws<DiscoveryConfigurationException>(() => new ServiceRegistryProviders(new DnsServiceRegistryProvider()).Create(Section(new()
        {
            ["Meshwork:Registry:Type"] = "dns",
            ["Meshwork:Registry:Server"] = key == "Server" ? value : "127.0.0.1:53",
            [$"Meshwork:Registry:{key}"] = value,
        })));
        Assert.Equal($"Meshwork:Registry:{reportedKey}", e.Key);
        Assert.Contains($"'Meshwork:Registry:{reportedKey}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task A_registry_configured_by_type_resolves_from_a_real_server()
    {
        await using var dns = await DnsmasqServer.StartAsync([new("_rpc._tcp.echo.svc.cluster.local", "echo-0.svc.cluster.local", 7000)],
            [new("echo-0.svc.cluster.local", "127.0.0.10")]);
        await using var registry = new ServiceRegistryProviders(new DnsServiceRegistryProvider()).Create(Section(new()
        {
            ["Meshwork:Registry:Type"] = "dns",
            ["Meshwork:Registry:Server"] = dns.Endpoint,
            ["Meshwork:Registry:Domain"] = "svc.cluster.local",
        }));

        Assert.Equal("dns", registry.Name);
        Assert.Equal(["127.0.0.10:7000"], (await registry.ResolveAsync("echo")).Select(i => i.Address));
    }
}
