using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance.Tests;

/// <summary>
/// An endpoint retired by a registry change is closed only when idle, and a call that picked it before it closed
/// either started on it (and keeps it open) or goes to another instance without having been sent anywhere.
/// </summary>
public sealed class RetiredEndpointTests : IAsyncLifetime
{
    private readonly List<TestServer> _servers = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }

    private static InstanceEndpoint Endpoint() => new(new ServiceInstance("svc", "127.0.0.1:1"));

    [Fact]
    public void A_closed_endpoint_refuses_to_start_a_call()
    {
        var endpoint = Endpoint();
        Assert.True(endpoint.TryClose());
        Assert.False(endpoint.TryStart(out _));
        Assert.Equal(0, endpoint.Outstanding);
    }

    [Fact]
    public void An_endpoint_with_a_call_in_flight_does_not_close_until_the_call_ends()
    {
        var endpoint = Endpoint();
        Assert.True(endpoint.TryStart(out long started));
        Assert.False(endpoint.TryClose());
        Assert.Equal(1, endpoint.Outstanding);
        endpoint.OnFinished(started, success: true);
        Assert.True(endpoint.TryClose());
    }

    [Fact]
    public async Task A_call_holding_an_endpoint_that_a_registry_change_closed_goes_to_another_instance_unsent()
    {
        var a = await TestServer.StartAsync("a");
        var b = await TestServer.StartAsync("b");
        _servers.Add(a);
        _servers.Add(b);
        var registry = new StaticServiceRegistry([a.Instance(), b.Instance()]);
        var governance = new GovernanceOptions();
        governance.Services[Echo.Service] = new ServicePolicy { Balancer = "round-robin" };
        await using var invoker = new GovernedCallInvoker(registry, governance);
        var endpoints = await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 2, Eventually.Token());
        var stale = endpoints.Single(e => e.Instance.Id == a.Instance().Id);

        // The registry drops 'a': its endpoint is retired and, being idle, closed (its channel disposed).
        await registry.DeregisterAsync(a.Instance(), Eventually.Token());
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        Assert.False(stale.TryStart(out _));

        // A call that picked 'a' from the old snapshot (as fail-retry keeps its instance) starts on 'b' instead.
        var route = invoker.RouteFor(Echo.Service);
        var chosen = route.AcquireAgain(stale, new PickContext(null), null, out long started);
        Assert.Equal(b.Instance().Id, chosen.Instance.Id);
        Assert.Equal(1, route.ClosedSkipped);
        Assert.Equal("b", await chosen.Channel!.UnaryAsync(Echo.Write, "x"));
        chosen.OnFinished(started, success: true);
        Assert.Equal(0, a.Calls);
    }
}
