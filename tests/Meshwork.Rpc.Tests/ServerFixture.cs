using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>A real server on a free loopback port plus a channel to it; disposed at the end of each test.</summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    public RpcServer Server { get; }
    public RpcChannel Channel { get; }
    public TestService.State State { get; }

    private ServerFixture(RpcServer server, RpcChannel channel, TestService.State state)
    {
        Server = server;
        Channel = channel;
        State = state;
    }

    public static async Task<ServerFixture> StartAsync(Action<RpcServerOptions>? server = null, Action<RpcClientOptions>? client = null,
        Action<RpcServer>? configure = null)
    {
        var options = new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) };
        server?.Invoke(options);
        var state = new TestService.State();
        var rpcServer = new RpcServer(options, name: "test-server");
        rpcServer.AddService(TestService.Build(state));
        configure?.Invoke(rpcServer);
        await rpcServer.StartAsync();
        var clientOptions = new RpcClientOptions();
        client?.Invoke(clientOptions);
        var channel = RpcChannel.ForEndpoint(rpcServer.BoundEndpoints[0], clientOptions);
        return new ServerFixture(rpcServer, channel, state);
    }

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        await Server.DisposeAsync();
    }
}
