using System.Net;
using Meshwork.Discovery;
using Meshwork.Gateway.Dashboard;
using Meshwork.Gossip;
using Meshwork.Governance;
using Meshwork.Rpc.Server;
using Meshwork.Serf;
using Microsoft.AspNetCore.Builder;

namespace Meshwork.Gateway.Tests;

/// <summary>
/// A gossip node, a shop server found through a registry, and one Kestrel app serving both the gateway and the
/// dashboard over them, on loopback.
/// </summary>
internal sealed class DashboardFixture : IAsyncDisposable
{
    private DashboardFixture(SerfNode node, RpcServer server, GovernedCallInvoker invoker, MeshworkDashboard dashboard, KestrelHost host)
    {
        Node = node;
        Server = server;
        Invoker = invoker;
        Dashboard = dashboard;
        Host = host;
    }

    public SerfNode Node { get; }
    public RpcServer Server { get; }
    public GovernedCallInvoker Invoker { get; }
    public MeshworkDashboard Dashboard { get; }
    public KestrelHost Host { get; }
    public Uri Address => Host.Address;
    public HttpClient Http => Host.Http;

    public static async Task<DashboardFixture> StartAsync(Action<DashboardOptions>? configure = null)
    {
        var node = new SerfNode(new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = "dash-" + Guid.NewGuid().ToString("n")[..6], BindAddress = IPAddress.Loopback, BindPort = 0 },
            Tags = new Dictionary<string, string> { ["role"] = "gateway" },
        });
        node.Start();
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "shop-1");
        server.AddService(ShopDispatcher.Bind(new ShopService("shop-1")));
        await server.StartAsync();
        var registry = new StaticServiceRegistry([new ServiceInstance("shop", server.BoundEndpoints[0].ToString())]);
        var invoker = new GovernedCallInvoker(registry);
        var options = new DashboardOptions { RefreshInterval = TimeSpan.FromMilliseconds(250) };
        options.Services.Add("shop");
        configure?.Invoke(options);
        var dashboard = new MeshworkDashboard(node, registry, invoker, options);

        var host = await KestrelHost.StartAsync(map: app =>
        {
            app.MapMeshworkGateway(invoker, GatewayFixture.Methods());
            app.MapMeshworkDashboard(dashboard);
        });
        return new DashboardFixture(node, server, invoker, dashboard, host);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Dashboard.DisposeAsync();
        await Invoker.DisposeAsync();
        await Server.DisposeAsync();
        await Node.DisposeAsync();
    }
}
