using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gateway.Tests;

/// <summary>A real shop server on loopback, a governed invoker that finds it through a registry, and the gateway on Kestrel in front.</summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    private GatewayFixture(RpcServer server, ShopService shop, HeaderCapture headers, GovernedCallInvoker invoker, WebApplication app, Uri address, MeshworkGateway gateway)
    {
        Server = server;
        Shop = shop;
        Headers = headers;
        Invoker = invoker;
        App = app;
        Gateway = gateway;
        Http = new HttpClient { BaseAddress = address, Timeout = Eventually.Timeout };
    }

    public RpcServer Server { get; }
    public ShopService Shop { get; }
    public HeaderCapture Headers { get; }
    public GovernedCallInvoker Invoker { get; }
    public WebApplication App { get; }
    public MeshworkGateway Gateway { get; }
    public HttpClient Http { get; }

    public static GatewayMethods Methods() =>
        new GatewayMethods(ShopJson.Default.Options)
            .Add(ShopDescriptors.Place)
            .Add(ShopDescriptors.Count)
            .Add(ShopDescriptors.Note);

    public static async Task<GatewayFixture> StartAsync(Action<GatewayOptions>? configure = null)
    {
        var shop = new ShopService("shop-1");
        var headers = new HeaderCapture();
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "shop-1");
        server.Use(headers);
        server.AddService(ShopDispatcher.Bind(shop));
        await server.StartAsync();
        var registry = new StaticServiceRegistry([new ServiceInstance("shop", server.BoundEndpoints[0].ToString())]);
        var invoker = new GovernedCallInvoker(registry);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var gateway = app.MapMeshworkGateway(invoker, Methods(), configure);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new GatewayFixture(server, shop, headers, invoker, app, address, gateway);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Invoker.DisposeAsync();
        await Server.DisposeAsync();
    }
}
