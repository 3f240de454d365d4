using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;

namespace Meshwork.Governance.Tests;

/// <summary>
/// GovernedCallInvoker.Reconfigure, the policy swap behind hot reload: routes, breakers and limits change in a
/// running client; breakers keep their state where the settings allow; an invalid policy changes nothing.
/// </summary>
public sealed class ReconfigureTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    private async Task<(TestServer Old, TestServer New, GovernedCallInvoker Invoker)> StartAsync(GovernanceOptions options)
    {
        var old = await TestServer.StartAsync("v1");
        var next = await TestServer.StartAsync("v2");
        _owned.Add(old);
        _owned.Add(next);
        var registry = new StaticServiceRegistry([old.Instance(new SemanticVersion(1, 0, 0)), next.Instance(new SemanticVersion(2, 0, 0))]);
        var invoker = new GovernedCallInvoker(registry, options);
        _owned.Add(invoker);
        return (old, next, invoker);
    }

    private static GovernanceOptions Policy(string range, Action<ServicePolicy>? more = null)
    {
        var options = new GovernanceOptions();
        var policy = new ServicePolicy { Route = { Version = VersionRange.Parse(range) }, Calls = { FailMode = FailMode.FailFast } };
        more?.Invoke(policy);
        options.Services[Echo.Service] = policy;
        return options;
    }

    [Fact]
    public async Task A_new_version_range_reroutes_the_running_client()
    {
        var (_, _, invoker) = await StartAsync(Policy(">=2"));
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        Assert.Equal("v2", await invoker.UnaryAsync(Echo.Who, "x"));

        invoker.Reconfigure(Policy("<2"));
        Assert.Equal("1.0.0", Assert.Single(invoker.Endpoints(Echo.Service)).Instance.Version.ToString());
        for (int i = 0; i < 5; i++) Assert.Equal("v1", await invoker.UnaryAsync(Echo.Who, "x"));
    }

    [Fact]
    public async Task An_open_breaker_stays_open_with_its_new_settings_and_turning_it_off_replaces_the_endpoints()
    {
        static void Breaker(ServicePolicy p, double ratio) =>
            p.CircuitBreaker = new CircuitBreakerOptions { MinimumThroughput = 2, FailureRatio = ratio, BreakDuration = TimeSpan.FromHours(1), HealthProbe = false };
        var (old, _, invoker) = await StartAsync(Policy("<2", p => Breaker(p, 0.5)));
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        old.Behavior = Behavior.Internal;
        for (int i = 0; i < 2; i++) await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        var endpoint = Assert.Single(invoker.Endpoints(Echo.Service));
        Assert.Equal(CircuitState.Open, endpoint.Breaker!.State);

        invoker.Reconfigure(Policy("<2", p => Breaker(p, 0.9)));
        Assert.Same(endpoint, Assert.Single(invoker.Endpoints(Echo.Service)));
        Assert.Equal(CircuitState.Open, endpoint.Breaker.State); // the state survives a change of its settings
        Assert.Equal(0.9, invoker.Options.For(Echo.Service).CircuitBreaker!.FailureRatio);

        // Without a breaker the endpoints are new (the breaker is part of each endpoint), and calls reach the server again.
        invoker.Reconfigure(Policy("<2", p => p.CircuitBreaker = null));
        var replaced = Assert.Single(invoker.Endpoints(Echo.Service));
        Assert.NotSame(endpoint, replaced);
        Assert.Null(replaced.Breaker);
        old.Behavior = Behavior.Normal;
        Assert.Equal("v1", await invoker.UnaryAsync(Echo.Who, "x"));
    }

    [Fact]
    public async Task A_rate_limit_and_a_timeout_take_effect_at_once()
    {
        var (old, _, invoker) = await StartAsync(Policy("<2"));
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        for (int i = 0; i < 5; i++) Assert.Equal("v1", await invoker.UnaryAsync(Echo.Who, "x"));

        invoker.Reconfigure(Policy("<2", p =>
        {
            p.RateLimit = new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 2 };
            p.Calls.Timeout = TimeSpan.FromMilliseconds(200);
        }));
        old.Behavior = Behavior.Hang;
        // The caller's token only bounds the test if the policy's timeout were ignored; it sets no timeout of its own.
        var timedOut = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x", new CallOptions(Eventually.Token())));
        Assert.Equal(StatusCode.DeadlineExceeded, timedOut.Status);
        old.Behavior = Behavior.Normal;
        Assert.Equal("v1", await invoker.UnaryAsync(Echo.Who, "x"));
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
    }

    [Fact]
    public async Task An_invalid_policy_is_refused_and_the_old_one_stays_in_force()
    {
        var (_, _, invoker) = await StartAsync(Policy("<2", p => p.Balancer = "round-robin"));
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        var before = invoker.Options;

        var e = Assert.Throws<ArgumentException>(() => invoker.Reconfigure(Policy("<2", p => p.Balancer = "fastest")));
        Assert.Contains("GovernanceOptions.Services[echo].Balancer", e.Message, StringComparison.Ordinal);
        Assert.Same(before, invoker.Options);
        Assert.Equal("round-robin", invoker.Options.For(Echo.Service).Balancer);
        Assert.Equal("v1", await invoker.UnaryAsync(Echo.Who, "x"));
    }
}
