using System.Collections.Concurrent;
using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

public class EndToEndTests
{
    private static IHost ClientHost(string address, Action<IMeshworkClientBuilder<IGreeter>>? extra = null, Action<RpcClientOptions>? configure = null)
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Clients:Greeter:Address"] = address });
        var client = builder.Services.AddMeshworkClient<IGreeter>(configure: configure);
        extra?.Invoke(client);
        return builder.Build();
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Eventually.TrueAsync(condition, what, 10);

    [Fact]
    public async Task Client_host_calls_server_host_over_loopback()
    {
        await using var server = (IAsyncDisposable)TestHosts.GreeterServer();
        var serverHost = (IHost)server;
        await serverHost.StartAsync();
        string address = TestHosts.AddressOf(serverHost);
        Assert.StartsWith("127.0.0.1:", address);
        Assert.NotEqual("127.0.0.1:0", address);

        using var clientHost = ClientHost(address);
        await clientHost.StartAsync();
        var greeter = clientHost.Services.GetRequiredService<IGreeter>();

        Assert.Equal("hello world", await greeter.EchoAsync("world"));
        Assert.Equal(1, serverHost.Services.GetRequiredService<RpcServer>().ConnectionCount);
        Assert.Same(greeter, clientHost.Services.GetRequiredService<IGreeter>());
        Assert.Equal(address, clientHost.Services.GetRequiredKeyedService<RpcChannel>(GreeterContract.Name).Endpoint.Display);

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Host_stop_drains_an_in_flight_call()
    {
        using var serverHost = TestHosts.GreeterServer(configuration: new Dictionary<string, string?> { ["Meshwork:Server:DrainTimeout"] = "20s" });
        await serverHost.StartAsync();
        var server = serverHost.Services.GetRequiredService<RpcServer>();
        using var clientHost = ClientHost(TestHosts.AddressOf(serverHost));
        await clientHost.StartAsync();
        var greeter = clientHost.Services.GetRequiredService<IGreeter>();

        var call = greeter.SleepAsync(600).AsTask();
        await WaitUntil(() => server.ActiveCalls == 1, "the call reaches the server");
        var watch = Stopwatch.StartNew();
        await serverHost.StopAsync();

        Assert.Equal("slept", await call);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"stop returned after {watch.Elapsed}, before the call finished");
        Assert.Equal(0, server.ActiveCalls);
        await Assert.ThrowsAnyAsync<Exception>(async () => await greeter.EchoAsync("too late"));
        await clientHost.StopAsync();
    }

    [Fact]
    public async Task Host_shutdown_token_cuts_the_drain_short()
    {
        using var serverHost = TestHosts.GreeterServer(configuration: new Dictionary<string, string?> { ["Meshwork:Server:DrainTimeout"] = "60s" });
        await serverHost.StartAsync();
        var server = serverHost.Services.GetRequiredService<RpcServer>();
        using var clientHost = ClientHost(TestHosts.AddressOf(serverHost));
        await clientHost.StartAsync();
        var greeter = clientHost.Services.GetRequiredService<IGreeter>();

        var call = greeter.SleepAsync(30_000).AsTask();
        await WaitUntil(() => server.ActiveCalls == 1, "the call reaches the server");
        var watch = Stopwatch.StartNew();
        using (var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await serverHost.StopAsync(shutdown.Token);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"stop took {watch.Elapsed}");
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        await clientHost.StopAsync();
    }

    private sealed class CallLog
    {
        public ConcurrentQueue<string> Entries { get; } = new();
    }

    private sealed class OuterServerMiddleware(CallLog log) : IServerMiddleware
    {
        public async ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            log.Entries.Enqueue("server-outer:" + context.RequestHeaders?.Get("x-client"));
            await next(context);
        }
    }

    private sealed class InnerServerMiddleware(CallLog log) : IServerMiddleware
    {
        public async ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            log.Entries.Enqueue("server-inner");
            await next(context);
            context.Response = context.Response + "!";
        }
    }

    private sealed class HeaderClientMiddleware(CallLog log) : IClientMiddleware
    {
        public async ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            log.Entries.Enqueue("client-di");
            context.Headers.Set("x-client", "tagged");
            await next(context);
        }
    }

    private sealed class InstanceClientMiddleware(CallLog log) : IClientMiddleware
    {
        public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            log.Entries.Enqueue("client-instance");
            return next(context);
        }
    }

    [Fact]
    public async Task Middleware_from_di_runs_in_registration_order()
    {
        var log = new CallLog();
        using var serverHost = TestHosts.GreeterServer(server =>
        {
            server.Services.AddSingleton(log);
            server.UseMiddleware<OuterServerMiddleware>().UseMiddleware<InnerServerMiddleware>();
        });
        await serverHost.StartAsync();
        using var clientHost = ClientHost(TestHosts.AddressOf(serverHost), client =>
        {
            client.Services.AddSingleton(log);
            client.UseMiddleware(new InstanceClientMiddleware(log)).UseMiddleware<HeaderClientMiddleware>();
        });
        await clientHost.StartAsync();

        Assert.Equal("hello mw!", await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("mw"));
        Assert.Equal(["client-instance", "client-di", "server-outer:tagged", "server-inner"], log.Entries.ToArray());

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Hand_built_service_definitions_and_factories_are_served()
    {
        var ping = new Method<string, string>("Ping", "Ping", Meshwork.Rpc.Protocol.CallKind.Unary,
            Meshwork.Rpc.Serialization.MessageTypes.Plain<string>(), Meshwork.Rpc.Serialization.MessageTypes.Plain<string>());
        var builder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0" });
        builder.Services.AddMeshworkServer()
            .AddService<IGreeter>(_ => new Greeter(new GreetingPrefix("factory ")))
            .AddServiceDefinition(new ServiceDefinition("Ping").AddUnary(ping, (s, _) => new ValueTask<string>("pong " + s)));
        using var serverHost = builder.Build();
        await serverHost.StartAsync();
        string address = TestHosts.AddressOf(serverHost);

        await using var channel = RpcChannel.ForAddress(address);
        Assert.Equal("pong x", await channel.UnaryAsync(ping, "x"));
        using var clientHost = ClientHost(address);
        await clientHost.StartAsync();
        Assert.Equal("factory y", await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("y"));

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Port_already_in_use_fails_host_start()
    {
        using var first = TestHosts.GreeterServer();
        await first.StartAsync();
        var builder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Server:Endpoints:0"] = TestHosts.AddressOf(first) });
        builder.Services.AddSingleton(new GreetingPrefix(""));
        builder.Services.AddMeshworkServer().AddService<IGreeter, Greeter>();
        using var second = builder.Build();

        var ex = await Assert.ThrowsAsync<IOException>(() => second.StartAsync());
        Assert.Contains("cannot listen on", ex.Message);
        await first.StopAsync();
    }
}
