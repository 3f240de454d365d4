using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance.Tests;

/// <summary>Recovery of an open circuit breaker through the health heartbeat, and the health service of a draining server.</summary>
public sealed class BreakerHeartbeatTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    [Fact]
    public async Task An_open_breaker_closes_through_the_heartbeat_without_spending_a_user_call()
    {
        var healthy = new[] { new StrongBox<bool>(false), new StrongBox<bool>(true) };
        var servers = new TestServer[2];
        for (int i = 0; i < 2; i++)
        {
            var flag = healthy[i];
            servers[i] = new TestServer("s" + i, HealthService.Create(() => flag.Value));
            await servers[i].Server.StartAsync();
            _owned.Add(servers[i]);
        }
        var options = new GovernanceOptions();
        options.Services[Echo.Service] = new ServicePolicy
        {
            Balancer = "round-robin",
            Calls = { FailMode = FailMode.FailFast },
            // A break far longer than the test: only the heartbeat can close this breaker.
            CircuitBreaker = new CircuitBreakerOptions { MinimumThroughput = 4, FailureRatio = 0.5, BreakDuration = TimeSpan.FromHours(1), ProbeInterval = TimeSpan.FromMilliseconds(100) },
        };
        var invoker = new GovernedCallInvoker(new StaticServiceRegistry(servers.Select(s => s.Instance())), options);
        _owned.Add(invoker);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 2, Eventually.Token());
        var broken = invoker.Endpoints(Echo.Service).Single(e => e.Instance.Address == servers[0].Address);
        var breaker = broken.Breaker!;

        servers[0].Behavior = Behavior.Internal;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await invoker.UnaryAsync(Echo.Who, "x");
            }
            catch (RpcException)
            {
            }
            return breaker.State == CircuitState.Open;
        }, "the breaker of s0 opens");
        int callsWhenOpened = servers[0].Calls;

        // Failed heartbeats (the server says it is not serving) keep the breaker open.
        await Eventually.TrueAsync(() => invoker.Heartbeats(Echo.Service) >= 3, "heartbeats go to the open instance");
        Assert.Equal(CircuitState.Open, breaker.State);

        // The instance recovers: the next heartbeat closes the breaker, with no user call spent as a probe.
        servers[0].Behavior = Behavior.Normal;
        healthy[0].Value = true;
        await Eventually.TrueAsync(() => breaker.State == CircuitState.Closed, "the heartbeat closes the breaker");
        Assert.Equal(callsWhenOpened, servers[0].Calls);
        Assert.Equal(1, breaker.ClosedByHeartbeat);
        await Eventually.TrueAsync(async () => await invoker.UnaryAsync(Echo.Who, "x") == "s0", "calls reach s0 again");

        // Healthy instances get no heartbeats at all.
        long heartbeats = invoker.Heartbeats(Echo.Service);
        for (int i = 0; i < 20; i++) await invoker.UnaryAsync(Echo.Who, "x");
        Assert.Equal(heartbeats, invoker.Heartbeats(Echo.Service));
    }

    [Fact]
    public async Task A_draining_server_answers_the_heartbeat_with_not_serving()
    {
        var server = new TestServer("draining");
        _owned.Add(server);
        var discoverable = new DiscoverableServer(server.Server, new StaticServiceRegistry(), new ServiceAnnouncement { PropagationDelay = TimeSpan.FromSeconds(30) });
        await discoverable.StartAsync();
        Assert.DoesNotContain(discoverable.Registered, i => i.Service == HealthService.ServiceName);
        await using var channel = RpcChannel.ForAddress(server.Address);
        Assert.Equal(HealthService.Serving, await channel.UnaryAsync(HealthService.Check, "test"));

        using var stop = new CancellationTokenSource();
        var drain = discoverable.DrainAsync(stop.Token);
        // Still serving calls during the propagation delay, but no longer healthy for breakers to close on.
        var e = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(HealthService.Check, "test"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("not serving", e.Message, StringComparison.Ordinal);
        Assert.Equal("draining", await channel.UnaryAsync(Echo.Who, "x"));
        await stop.CancelAsync();
        await drain;
    }
}
