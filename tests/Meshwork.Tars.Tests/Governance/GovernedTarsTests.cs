using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Tars.Tests.Echo;
using Meshwork.Tars.Tests.Interop;

namespace Meshwork.Tars.Tests.Governance;

/// <summary>
/// A <see cref="GovernedCallInvoker"/> over TARS instances (<c>protocol=tars</c>, built by <see cref="TarsInstanceInvokerFactory"/>):
/// balancing and fail-over across Meshwork TARS servers and a real Node TARS server, from a static registry and from a
/// TARS registry (<see cref="TarsRegistry"/> reading Meshwork's own name service).
/// </summary>
public sealed class GovernedTarsTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    /// <summary>echo marked idempotent, so fail-over may send it to another instance.</summary>
    private static readonly Method<TarsInvocation, TarsReply> IdempotentEcho = TarsMethods.Unary(EchoService.ObjectName, "echo", idempotent: true);

    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);

    private sealed class Msg(string msg) : ITarsArguments
    {
        public void WriteTo(TarsParameterWriter writer) => writer.Write(1, "msg", "string", msg, WriteString);
    }

    private static async Task<string> EchoAsync(CallInvoker invoker, string msg)
    {
        var reply = await invoker.UnaryAsync(IdempotentEcho, new TarsInvocation(new Msg(msg)));
        return reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadString(t, true));
    }

    private async Task<(TarsServer Server, EchoService Service, ServiceInstance Instance)> StartMeshworkServerAsync()
    {
        var service = new EchoService();
        var server = new TarsServer().AddService(service.Definition());
        _owned.Add(server);
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        return (server, service, TarsInstances.Create(EchoService.ObjectName, endpoint));
    }

    private GovernedCallInvoker Governed(IServiceRegistry registry, bool addTars = true)
    {
        var options = new GovernanceOptions();
        options.Services[EchoService.ObjectName] = new ServicePolicy
        {
            Balancer = "round-robin",
            Calls = new CallPolicy { FailMode = FailMode.FailOver, MaxAttempts = 3 },
            RetryBudgetReserve = 1000, // the test counts fail-overs, not the budget
        };
        if (addTars) options.AddTarsInstances(new TarsClientOptions { ConnectTimeout = TimeSpan.FromSeconds(10), DefaultTimeout = TimeSpan.FromSeconds(30) });
        var invoker = new GovernedCallInvoker(registry, options);
        _owned.Add(invoker);
        return invoker;
    }

    [Fact]
    public async Task Calls_are_balanced_over_meshwork_tars_servers_and_fail_over_when_one_stops()
    {
        var servers = new[] { await StartMeshworkServerAsync(), await StartMeshworkServerAsync(), await StartMeshworkServerAsync() };
        var invoker = Governed(new StaticServiceRegistry(servers.Select(s => s.Instance)));
        await invoker.WaitForEndpointsAsync(EchoService.ObjectName, e => e.Count == 3, Eventually.Token());

        for (int i = 0; i < 30; i++) Assert.Equal("m" + i, await EchoAsync(invoker, "m" + i));
        Assert.All(servers, s => Assert.NotEmpty(s.Service.Echoed)); // every TARS server took a share

        await servers[0].Server.StopAsync();
        int stoppedCount = servers[0].Service.Echoed.Count;
        for (int i = 0; i < 30; i++) Assert.Equal("n" + i, await EchoAsync(invoker, "n" + i));
        Assert.Equal(stoppedCount, servers[0].Service.Echoed.Count);
        Assert.Equal(60, servers.Sum(s => s.Service.Echoed.Count));
    }

    [Fact]
    public async Task Without_the_tars_factory_a_tars_instance_is_refused_with_a_clear_error()
    {
        var (_, service, instance) = await StartMeshworkServerAsync();
        var invoker = Governed(new StaticServiceRegistry([instance]), addTars: false);
        var e = await Assert.ThrowsAsync<RpcException>(() => EchoAsync(invoker, "x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("protocol 'tars'", e.Message, StringComparison.Ordinal);
        Assert.Empty(service.Echoed);
    }

    [Fact]
    public async Task Native_methods_sent_to_a_tars_instance_fail_with_unimplemented()
    {
        var (_, _, instance) = await StartMeshworkServerAsync();
        var invoker = Governed(new StaticServiceRegistry([instance]));
        var native = new Method<string, string>(EchoService.ObjectName, "echo", Meshwork.Rpc.Protocol.CallKind.Unary,
            Meshwork.Rpc.Serialization.MessageTypes.Plain<string>(), Meshwork.Rpc.Serialization.MessageTypes.Plain<string>());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(native, "x"));
        Assert.Equal(StatusCode.Unimplemented, e.Status);
        Assert.Contains("speaks TARS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_breaker_heartbeat_of_a_tars_instance_is_a_tars_ping()
    {
        var (server, _, instance) = await StartMeshworkServerAsync();
        var options = new GovernanceOptions().AddTarsInstances();
        await using var invoker = new GovernedCallInvoker(new StaticServiceRegistry([instance]), options);
        var endpoint = (await invoker.WaitForEndpointsAsync(EchoService.ObjectName, e => e.Count == 1, Eventually.Token()))[0];
        // What the heartbeat sends: the governance health check, answered by tars_ping on the TARS object.
        Assert.Equal(Meshwork.Governance.Server.HealthService.Serving,
            await endpoint.Channel!.UnaryAsync(Meshwork.Governance.Server.HealthService.Check, EchoService.ObjectName));
        await server.StopAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await endpoint.Channel!.UnaryAsync(Meshwork.Governance.Server.HealthService.Check, EchoService.ObjectName));
        Assert.Equal(StatusCode.Unavailable, e.Status);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Calls_are_balanced_over_a_node_tars_server_and_fail_over_when_it_stops()
    {
        var node = await NodeTarsPeer.StartServerAsync();
        _owned.Add(node);
        var meshwork = await StartMeshworkServerAsync();
        var nodeInstance = TarsInstances.Create(EchoService.ObjectName, TarsEndpoint.Parse($"tcp -h 127.0.0.1 -p {node.Port} -t 60000"));
        var invoker = Governed(new StaticServiceRegistry([nodeInstance, meshwork.Instance]));
        await invoker.WaitForEndpointsAsync(EchoService.ObjectName, e => e.Count == 2, Eventually.Token());

        for (int i = 0; i < 20; i++) Assert.Equal("m" + i, await EchoAsync(invoker, "m" + i));
        int before = meshwork.Service.Echoed.Count;
        Assert.InRange(before, 1, 19); // the others were answered by the Node server

        await node.DisposeAsync(); // the Node process is gone
        for (int i = 0; i < 20; i++) Assert.Equal("n" + i, await EchoAsync(invoker, "n" + i));
        Assert.Equal(before + 20, meshwork.Service.Echoed.Count);
    }

    [Fact]
    public async Task Calls_resolved_through_a_tars_registry_are_balanced_and_fail_over()
    {
        var a = await StartMeshworkServerAsync();
        var b = await StartMeshworkServerAsync();
        // Meshwork's TARS name service over a static registry, read back by the TarsRegistry provider.
        var names = new TarsServer().AddService(TarsNameService.Create(new StaticServiceRegistry([a.Instance, b.Instance])));
        _owned.Add(names);
        var locator = $"tars.tarsregistry.QueryObj@{await names.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000")}";
        var registry = new TarsRegistry(new TarsRegistryOptions { Locator = locator });
        _owned.Add(registry);
        var invoker = Governed(registry);
        await invoker.WaitForEndpointsAsync(EchoService.ObjectName, e => e.Count == 2, Eventually.Token());

        for (int i = 0; i < 10; i++) Assert.Equal("m" + i, await EchoAsync(invoker, "m" + i));
        Assert.NotEmpty(a.Service.Echoed);
        Assert.NotEmpty(b.Service.Echoed);

        await a.Server.StopAsync();
        int stopped = a.Service.Echoed.Count;
        for (int i = 0; i < 10; i++) Assert.Equal("n" + i, await EchoAsync(invoker, "n" + i));
        Assert.Equal(stopped, a.Service.Echoed.Count);
        Assert.Equal(20, a.Service.Echoed.Count + b.Service.Echoed.Count);
    }
}
