using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Tests;

public class LifetimeTests
{
    [Fact]
    public async Task Server_and_client_log_through_the_host_logger_factory_with_stable_event_ids()
    {
        var logs = new CapturingLoggerProvider();
        var serverBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0" });
        serverBuilder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(logs);
        serverBuilder.Services.AddSingleton(new GreetingPrefix(""));
        serverBuilder.Services.AddMeshworkServer().AddService<IGreeter, Greeter>();
        using var serverHost = serverBuilder.Build();
        await serverHost.StartAsync();

        var clientBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Clients:Greeter:Address"] = TestHosts.AddressOf(serverHost) });
        clientBuilder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(logs);
        clientBuilder.Services.AddMeshworkClient<IGreeter>();
        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("x");
        await clientHost.StopAsync();
        await serverHost.StopAsync();

        var options = clientHost.Services.GetRequiredService<IOptionsMonitor<MeshworkClientOptions>>().Get(GreeterContract.Name);
        Assert.Same(clientHost.Services.GetRequiredService<ILoggerFactory>(), options.Rpc.LoggerFactory);
        var ids = logs.Entries.Select(e => e.EventId).ToHashSet();
        Assert.Superset(new HashSet<int> { 3000, 3001, 3002, 3003, 3010 }, ids);
        Assert.Contains(logs.Entries, e => e.EventId == 3001 && e.Message.Contains(TestHosts.AddressOf(serverHost)));
        Assert.Contains(logs.Entries, e => e.EventId == 3000 && e.Message.Contains("Greeter"));
        Assert.Contains(logs.Entries, e => e.Category == "Meshwork.Rpc.Server"); // the RpcServer got the host's factory too
    }

    [Fact]
    public async Task Disposing_the_client_host_closes_its_connections()
    {
        using var serverHost = TestHosts.GreeterServer();
        await serverHost.StartAsync();
        var server = serverHost.Services.GetRequiredService<RpcServer>();
        var clientBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Clients:Greeter:Address"] = TestHosts.AddressOf(serverHost) });
        clientBuilder.Services.AddMeshworkClient<IGreeter>(configure: o => o.ConnectionsPerEndpoint = 2);
        var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var channel = clientHost.Services.GetRequiredKeyedService<RpcChannel>(GreeterContract.Name);
        await channel.ConnectAsync();
        await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("x");
        Assert.True(server.ConnectionCount >= 1);

        await clientHost.StopAsync();
        await ((IAsyncDisposable)clientHost).DisposeAsync();

        await Eventually.TrueAsync(() => server.ConnectionCount == 0, "the server sees the client's connections close");
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Stopping_a_host_whose_server_never_started_is_harmless()
    {
        using var serverHost = TestHosts.GreeterServer();
        var hosted = serverHost.Services.GetServices<IHostedService>().OfType<Meshwork.Hosting.Server.MeshworkServerHostedService>().Single();

        await hosted.StopAsync(CancellationToken.None);

        Assert.Empty(serverHost.Services.GetRequiredService<RpcServer>().BoundEndpoints);
    }

    [Fact]
    public void Running_server_is_one_singleton_with_the_bound_options()
    {
        using var serverHost = TestHosts.GreeterServer(configuration: new Dictionary<string, string?> { ["Meshwork:Server:MaxConnections"] = "3" });
        var server = serverHost.Services.GetRequiredService<RpcServer>();

        Assert.Same(server, serverHost.Services.GetRequiredService<RpcServer>());
        Assert.Same(serverHost.Services.GetRequiredService<IOptions<RpcServerOptions>>().Value, server.Options);
        Assert.Equal(3, server.Options.MaxConnections);
        Assert.Equal(["Greeter"], server.Services.Select(s => s.Name));
    }
}
