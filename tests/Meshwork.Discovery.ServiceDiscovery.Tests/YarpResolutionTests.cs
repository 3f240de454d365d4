using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Meshwork.Discovery.ServiceDiscovery.Tests;

/// <summary>A real YARP reverse proxy whose cluster destination is a Meshwork service name proxies to the registry's instances.</summary>
[Trait("Category", "Interop")]
public sealed class YarpResolutionTests
{
    /// <summary>A Kestrel-hosted YARP proxy on a free loopback port: every path goes to cluster 'orders' at http://orders.</summary>
    private static Task<KestrelHost> StartProxyAsync(IServiceRegistry registry) => KestrelHost.StartAsync(services =>
    {
        // An hour between polls: the change seen below must come from the registry's change token.
        services.AddServiceDiscoveryCore(o => o.RefreshPeriod = TimeSpan.FromHours(1));
        services.AddMeshworkServiceEndpointProvider(registry);
        services.AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "all", ClusterId = "orders", Match = new RouteMatch { Path = "/{**rest}" } }],
                [new ClusterConfig
                {
                    ClusterId = "orders",
                    Destinations = new Dictionary<string, DestinationConfig> { ["orders"] = new() { Address = "http://orders" } },
                }])
            .AddServiceDiscoveryDestinationResolver();
    }, app => app.MapReverseProxy());

    [Fact]
    public async Task A_yarp_cluster_addressed_by_service_name_proxies_to_the_registered_instance_and_follows_changes()
    {
        await using var a = await NamedHttpServer.StartAsync("a");
        await using var b = await NamedHttpServer.StartAsync("b");
        var instanceA = new ServiceInstance("orders", a.Address);
        await using var registry = new StaticServiceRegistry([instanceA]);
        await using var proxy = await StartProxyAsync(registry);
        var client = proxy.Http;
        Assert.Equal("a", await client.GetStringAsync("/items/1"));

        await registry.RegisterAsync(new ServiceInstance("orders", b.Address));
        await registry.DeregisterAsync(instanceA);

        await Eventually.TrueAsync(async () => await client.GetStringAsync("/items/2") == "b", "the proxy reaches the new instance");
        int before = a.Requests;
        for (int i = 0; i < 5; i++) Assert.Equal("b", await client.GetStringAsync("/items/3"));
        Assert.Equal(before, a.Requests);
    }
}
