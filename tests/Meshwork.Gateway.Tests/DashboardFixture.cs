using System.Net;
using Meshwork.Discovery;
using Meshwork.Gateway.Dashboard;
using Meshwork.Gossip;
using Meshwork.Governance;
using Meshwork.Rpc.Server;
using Meshwork.Serf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gateway.Tests;

/// <summary>
/// A gossip node, a shop server found through a registry, and one Kestrel app serving both the gateway and the
/// dashboard over them, on loopback.
/// </summary>
internal sealed class DashboardFixture : IAsyncDisposable
{
    private DashboardFixture(SerfNode node, RpcServer server, GovernedCallInvoker invoker, MeshworkDashboard dashboard, WebApplication app, Uri address)
    {
        Node = node;
        Server = server;
        Invoker = invoker;
        Dashboard = dashboard;
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = Eventually.Timeout };
    }

    public SerfNode Node { get; }
    public RpcServer Server { get; }
    public GovernedCallInvoker Invoker { get; }
    public MeshworkDashboard Dashboard { get; }
    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

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

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapMeshworkGateway(invoker, GatewayFixture.Methods());
        app.MapMeshworkDashboard(dashboard);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new DashboardFixture(node, server, invoker, dashboard, app, address);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Dashboard.DisposeAsync();
        await Invoker.DisposeAsync();
        await Server.DisposeAsync();
        await Node.DisposeAsync();
    }
}
