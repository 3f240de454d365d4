using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc.Server;
using Microsoft.AspNetCore.Builder;

namespace Meshwork.Gateway.Tests;

/// <summary>A real shop server on loopback, a governed invoker that finds it through a registry, and the gateway on Kestrel in front.</summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    private GatewayFixture(RpcServer server, ShopService shop, HeaderCapture headers, GovernedCallInvoker invoker, KestrelHost host, MeshworkGateway gateway)
    {
        Server = server;
        Shop = shop;
        Headers = headers;
        Invoker = invoker;
        Host = host;
        Gateway = gateway;
    }

    public RpcServer Server { get; }
    public ShopService Shop { get; }
    public HeaderCapture Headers { get; }
    public GovernedCallInvoker Invoker { get; }
    public KestrelHost Host { get; }
    public MeshworkGateway Gateway { get; }
    public HttpClient Http => Host.Http;

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

        MeshworkGateway gateway = null!;
        var host = await KestrelHost.StartAsync(map: app => gateway = app.MapMeshworkGateway(invoker, Methods(), configure));
        return new GatewayFixture(server, shop, headers, invoker, host, gateway);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Invoker.DisposeAsync();
        await Server.DisposeAsync();
    }
}
