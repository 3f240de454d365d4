using Meshwork.Discovery.Dns;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Discovery.ServiceDiscovery.Tests;

/// <summary>HttpClients built with AddServiceDiscovery call real Kestrel servers found through Meshwork registries.</summary>
[Trait("Category", "Interop")]
public sealed class HttpClientResolutionTests
{
    private static ServiceProvider Container(IServiceRegistry registry, Action<MeshworkEndpointProviderOptions>? configure = null)
    {
        var services = new ServiceCollection();
        // An hour between polls: every change these tests see must come from the registry's change token.
        services.AddServiceDiscoveryCore(o => o.RefreshPeriod = TimeSpan.FromHours(1));
        services.AddMeshworkServiceEndpointProvider(registry, configure);
        services.AddHttpClient("mesh").AddServiceDiscovery();
        return services.BuildServiceProvider();
    }

    private static HttpClient Client(ServiceProvider container) => container.GetRequiredService<IHttpClientFactory>().CreateClient("mesh");

    [Fact]
    public async Task A_service_name_resolves_to_the_registered_instance_and_follows_changes()
    {
        await using var a = await NamedHttpServer.StartAsync("a");
        await using var b = await NamedHttpServer.StartAsync("b");
        var instanceA = new ServiceInstance("orders", a.Address);
        await using var registry = new StaticServiceRegistry([instanceA]);
        await using var container = Container(registry);
        var http = Client(container);

        Assert.Equal("a", await http.GetStringAsync("http://orders/items"));

        await registry.RegisterAsync(new ServiceInstance("orders", b.Address));
        await registry.DeregisterAsync(instanceA);

        await Eventually.TrueAsync(async () => await http.GetStringAsync("http://orders/items") == "b", "requests to http://orders reach the new instance");
        int before = a.Requests;
        for (int i = 0; i < 5; i++) Assert.Equal("b", await http.GetStringAsync("http://orders/items"));
        Assert.Equal(before, a.Requests);
    }

    [Fact]
    public async Task Draining_instances_get_no_requests()
    {
        await using var a = await NamedHttpServer.StartAsync("a");
        await using var b = await NamedHttpServer.StartAsync("b");
        await using var registry = new StaticServiceRegistry(
        [
            new ServiceInstance("orders", a.Address),
            new ServiceInstance("orders", b.Address) { Health = InstanceHealth.Draining },
        ]);
        await using var container = Container(registry);
        var http = Client(container);

        for (int i = 0; i < 6; i++) Assert.Equal("a", await http.GetStringAsync("http://orders/"));
        Assert.Equal(0, b.Requests);
    }

    [Fact]
    public async Task Https_plus_http_uses_the_scheme_the_instances_serve()
    {
        await using var a = await NamedHttpServer.StartAsync("a");
        await using var b = await NamedHttpServer.StartAsync("b");
        await using var registry = new StaticServiceRegistry(
        [
            new ServiceInstance("orders", "http://" + a.Address),
            new ServiceInstance("billing", b.Address) { Metadata = new Dictionary<string, string> { ["scheme"] = "http" } },
        ]);
        await using var container = Container(registry);
        var http = Client(container);

        Assert.Equal("a", await http.GetStringAsync("https+http://orders/"));
        Assert.Equal("b", await http.GetStringAsync("https+http://billing/"));
    }

    [Fact]
    public async Task A_service_without_instances_fails_with_an_error_naming_it()
    {
        await using var registry = new StaticServiceRegistry();
        await using var container = Container(registry);
        var http = Client(container);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => http.GetStringAsync("http://orders/"));
        var unavailable = Assert.IsType<RegistryUnavailableException>(e);
        Assert.Contains("'orders' has no healthy instance", unavailable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_srv_records_route_an_HttpClient_and_a_changed_record_moves_it()
    {
        await using var a = await NamedHttpServer.StartAsync("a");
        await using var b = await NamedHttpServer.StartAsync("b");
        const string srv = "_rpc._tcp.orders.svc.cluster.local";
        DnsHostRecord[] hosts = [new("web-0.svc.cluster.local", "127.0.0.1")];
        await using var dns = await DnsmasqServer.StartAsync([new(srv, "web-0.svc.cluster.local", a.Port)], hosts);
        await using var registry = new DnsServiceRegistry(new DnsDiscoveryOptions
        {
            Server = dns.Endpoint,
            Domain = "svc.cluster.local",
            MinRefreshInterval = TimeSpan.FromMilliseconds(100),
            MaxRefreshInterval = TimeSpan.FromSeconds(2),
        });
        await using var container = Container(registry, o =>
        {
            o.ReconnectInitial = TimeSpan.FromMilliseconds(50);
            o.ReconnectMax = TimeSpan.FromMilliseconds(500);
        });
        var http = Client(container);

        Assert.Equal("a", await http.GetStringAsync("http://orders/"));

        // The DNS server goes down for the restart: the provider keeps the last set, then follows the new record.
        await dns.RestartAsync([new(srv, "web-0.svc.cluster.local", b.Port)]);

        await Eventually.TrueAsync(async () => await http.GetStringAsync("http://orders/") == "b", "requests to http://orders follow the new SRV record");
    }
}
