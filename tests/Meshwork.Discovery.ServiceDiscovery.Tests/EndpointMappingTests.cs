using System.Net;
using Microsoft.Extensions.ServiceDiscovery;

namespace Meshwork.Discovery.ServiceDiscovery.Tests;

public sealed class EndpointMappingTests
{
    private static EndPoint? Map(string address, string? scheme = null)
    {
        var instance = new ServiceInstance("orders", address)
        {
            Metadata = scheme is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["scheme"] = scheme },
        };
        return MeshworkServiceEndpointProvider.TryEndPoint(instance, out var ep, out _) ? ep : null;
    }

    [Fact]
    public void Meshwork_addresses_map_to_endpoints_HttpClient_can_call()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7000), Map("127.0.0.1:7000"));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7000), Map("[::1]:7000"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7000), Map("tcp://127.0.0.1:7000"));
        Assert.Equal(new DnsEndPoint("orders-0.local", 7000), Map("orders-0.local:7000"));
        Assert.Equal(new Uri("https://10.0.0.1:8443"), Assert.IsType<UriEndPoint>(Map("https://10.0.0.1:8443")).Uri);
        Assert.Equal(new Uri("http://10.0.0.1:8080"), Assert.IsType<UriEndPoint>(Map("10.0.0.1:8080", scheme: "http")).Uri);
        Assert.Null(Map("unix:///run/orders.sock"));
        Assert.Null(Map("orders-0.local"));
        Assert.Null(Map("orders-0.local:99999"));
    }

    [Fact]
    public async Task Only_the_listed_services_are_claimed_when_a_list_is_given()
    {
        await using var registry = new StaticServiceRegistry();
        var options = new MeshworkEndpointProviderOptions();
        options.Services.Add("orders");
        var factory = new MeshworkServiceEndpointProviderFactory(registry, options);

        Assert.True(ServiceEndpointQuery.TryParse("http://Orders", out var orders));
        Assert.True(ServiceEndpointQuery.TryParse("http://example.com", out var other));
        Assert.True(factory.TryCreateProvider(orders, out var provider));
        await provider.DisposeAsync();
        Assert.False(factory.TryCreateProvider(other, out _));
        Assert.True(new MeshworkServiceEndpointProviderFactory(registry).TryCreateProvider(other, out var any));
        await any.DisposeAsync();
    }

    [Fact]
    public void Bad_options_are_refused_with_the_setting_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new MeshworkServiceEndpointProviderFactory(new StaticServiceRegistry(),
            new MeshworkEndpointProviderOptions { ReconnectInitial = TimeSpan.FromSeconds(5), ReconnectMax = TimeSpan.FromSeconds(1) }));
        Assert.Contains("ReconnectMax", e.Message, StringComparison.Ordinal);
    }
}
