using System.Collections.Concurrent;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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

    /// <summary>A Greeter server whose held calls wait on <paramref name="gate"/>, logging into <paramref name="logs"/>.</summary>
    private static IHost GatedServer(CallGate gate, CapturingLoggerProvider logs, string drainTimeout) =>
        TestHosts.GreeterServer(server =>
        {
            server.Services.AddSingleton(gate);
            server.Services.AddLogging(logging => logging.AddProvider(logs));
        }, new Dictionary<string, string?> { ["Meshwork:Server:DrainTimeout"] = drainTimeout });

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
        var gate = new CallGate();
        var logs = new CapturingLoggerProvider();
        using var serverHost = GatedServer(gate, logs, "60s");
        await serverHost.StartAsync();
        var server = serverHost.Services.GetRequiredService<RpcServer>();
        using var clientHost = ClientHost(TestHosts.AddressOf(serverHost));
        await clientHost.StartAsync();
        var greeter = clientHost.Services.GetRequiredService<IGreeter>();

        var call = greeter.HoldAsync().AsTask();
        await Eventually.TrueAsync(() => Volatile.Read(ref gate.Entered) == 1, "the call reaches the handler");
        var stop = serverHost.StopAsync();
        int completedWhenStopReturned = -1;
        var stopObserved = stop.ContinueWith(_ => completedWhenStopReturned = Volatile.Read(ref gate.Completed), TaskContinuationOptions.ExecuteSynchronously);
        // Event 1007: go-away sent, the server now waits for in-flight calls. A server that did not wait would be done.
        await Eventually.TrueAsync(() => stop.IsCompleted || logs.Entries.Any(e => e.EventId == 1007), "the server starts draining");
        Assert.False(stop.IsCompleted, "host stop returned while a call was still in flight");
        gate.Open();

        Assert.Equal("released", await call.WaitAsync(Eventually.Timeout));
        await stopObserved.WaitAsync(Eventually.Timeout);
        Assert.Equal(1, completedWhenStopReturned); // the call finished before stop returned
        Assert.Equal(0, server.ActiveCalls);
        await Assert.ThrowsAnyAsync<Exception>(async () => await greeter.EchoAsync("too late"));
        await clientHost.StopAsync();
    }

    [Fact]
    public async Task Host_shutdown_token_cuts_the_drain_short()
    {
        var gate = new CallGate(); // never opened: the call would run until the 60 s drain timeout
        var logs = new CapturingLoggerProvider();
        using var serverHost = GatedServer(gate, logs, "60s");
        await serverHost.StartAsync();
        using var clientHost = ClientHost(TestHosts.AddressOf(serverHost));
        await clientHost.StartAsync();
        var greeter = clientHost.Services.GetRequiredService<IGreeter>();

        var call = greeter.HoldAsync().AsTask();
        await Eventually.TrueAsync(() => Volatile.Read(ref gate.Entered) == 1, "the call reaches the handler");
        using (var shutdown = new CancellationTokenSource())
        {
            var stop = serverHost.StopAsync(shutdown.Token);
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 1007), "the server starts draining");
            Assert.False(stop.IsCompleted);
            shutdown.Cancel(); // what HostOptions.ShutdownTimeout does when it expires
            await stop.WaitAsync(Eventually.Timeout);
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Eventually.Timeout));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal(0, Volatile.Read(ref gate.Completed));
        Assert.Contains(logs.Entries, e => e.EventId == 3004); // the host logged the cut-short drain
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
