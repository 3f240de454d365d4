using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Meshwork.Security.Client;
using Microsoft.Extensions.Logging;

namespace Meshwork.Security.Tests;

/// <summary>A real server on a free loopback port with <see cref="SecurityMiddleware"/> in front of <see cref="SecuredService"/>; channels to it are disposed with it.</summary>
internal sealed class SecureServer : IAsyncDisposable
{
    private readonly List<RpcChannel> _channels = new();

    private SecureServer(RpcServer server, SecurityMiddleware security, SecuredService.Calls calls)
    {
        Server = server;
        Security = security;
        Calls = calls;
    }

    public RpcServer Server { get; }
    public SecurityMiddleware Security { get; }
    public SecuredService.Calls Calls { get; }

    /// <param name="clock">The clock of the refusal log limiter; null: the system's.</param>
    public static async Task<SecureServer> StartAsync(SecurityOptions security, Action<RpcServerOptions>? server = null, ILoggerFactory? logs = null, TimeProvider? clock = null)
    {
        var options = new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) };
        server?.Invoke(options);
        var rpcServer = new RpcServer(options, logs, name: "secure-test-server");
        var calls = new SecuredService.Calls();
        foreach (var service in SecuredService.Build(calls)) rpcServer.AddService(service);
        SecurityMiddleware middleware;
        if (clock is null)
        {
            middleware = rpcServer.UseSecurity(security, logs);
        }
        else
        {
            middleware = new SecurityMiddleware(security, logs, clock);
            rpcServer.Use(middleware);
        }
        await rpcServer.StartAsync();
        return new SecureServer(rpcServer, middleware, calls);
    }

    /// <summary>A channel to the server attaching <paramref name="credentials"/> (none when null) to every call.</summary>
    public RpcChannel Channel(CallCredentials? credentials = null, Action<RpcClientOptions>? client = null)
    {
        var options = new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(30) };
        if (credentials is not null) options.UseCredentials(credentials);
        client?.Invoke(options);
        var channel = RpcChannel.ForEndpoint(Server.BoundEndpoints[0], options);
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) await c.DisposeAsync();
        await Server.DisposeAsync();
    }
}
