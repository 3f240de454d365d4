using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance.Tests;

/// <summary>Fail modes, idempotency, retry budget and deadlines against real servers on loopback (static registry).</summary>
public sealed class FailModeTests : IAsyncLifetime
{
    private readonly List<TestServer> _servers = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }

    private async Task<(TestServer[] Servers, GovernedCallInvoker Invoker)> StartAsync(int count, Action<ServicePolicy> configure, Action<GovernanceOptions>? options = null)
    {
        var servers = new TestServer[count];
        for (int i = 0; i < count; i++) _servers.Add(servers[i] = await TestServer.StartAsync("s" + i));
        var registry = new StaticServiceRegistry(servers.Select(s => s.Instance()));
        var policy = new ServicePolicy { Balancer = "round-robin" };
        configure(policy);
        var governance = new GovernanceOptions();
        governance.Services[Echo.Service] = policy;
        options?.Invoke(governance);
        var invoker = new GovernedCallInvoker(registry, governance);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == count, Eventually.Token());
        return (servers, invoker);
    }

    [Fact]
    public async Task Idempotent_calls_fail_over_to_a_healthy_instance()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Calls.FailMode = FailMode.FailOver);
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Unavailable;
        for (int i = 0; i < 20; i++) Assert.Equal("s1", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.True(servers[0].Calls > 0, "the failing instance was tried");
    }

    [Fact]
    public async Task Non_idempotent_calls_are_not_retried_and_the_error_names_the_instance()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Calls.FailMode = FailMode.FailOver);
        await using var _ = invoker;
        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Equal(1, servers.Sum(s => s.Calls));
        var failed = servers.Single(s => s.Calls == 1);
        Assert.Equal(failed.Instance().Id, e.Trailers?.Get(GovernedCall.InstanceTrailer));
        Assert.Contains(failed.Address, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_idempotent_calls_are_retried_when_the_method_is_marked_so()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Methods["Write"] = new CallPolicy { RetryNonIdempotent = true });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Unavailable;
        for (int i = 0; i < 10; i++) Assert.Equal("s1", await invoker.UnaryAsync(Echo.Write, "x"));
    }

    [Fact]
    public async Task Non_idempotent_calls_that_never_reached_an_instance_fail_over()
    {
        // s0 stops but stays registered: every connect to it is refused, so no call sent there ever ran, and a
        // retrying policy may send even a non-idempotent call to s1.
        var (servers, invoker) = await StartAsync(2, p => p.Calls.FailMode = FailMode.FailOver);
        await using var _ = invoker;
        await servers[0].Server.StopAsync();
        for (int i = 0; i < 10; i++) Assert.Equal("s1", await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal(10, servers[1].Calls);
    }

    [Fact]
    public async Task Fail_fast_does_not_resend_a_call_that_never_ran()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Calls.FailMode = FailMode.FailFast);
        await using var _ = invoker;
        await servers[0].Server.StopAsync();
        var failures = new List<RpcException>();
        for (int i = 0; i < 4; i++)
        {
            try
            {
                await invoker.UnaryAsync(Echo.Write, "x");
            }
            catch (RpcException e)
            {
                failures.Add(e);
            }
        }
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.True(e.NotExecuted, e.Message));
    }

    [Fact]
    public async Task Fail_fast_reports_the_first_failure()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Calls.FailMode = FailMode.FailFast);
        await using var _ = invoker;
        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(1, servers.Sum(s => s.Calls));
    }

    [Fact]
    public async Task Fail_retry_retries_the_same_instance()
    {
        var (servers, invoker) = await StartAsync(2, p =>
        {
            p.Calls.FailMode = FailMode.FailRetry;
            p.Calls.MaxAttempts = 3;
        });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Unavailable;
        int failures = 0;
        for (int i = 0; i < 4; i++)
        {
            try
            {
                Assert.Equal("s1", await invoker.UnaryAsync(Echo.Who, "x"));
            }
            catch (RpcException)
            {
                failures++;
            }
        }
        // The first call that lands on s0 retries there only and fails after three attempts; by then s0 is
        // ejected for repeated Unavailable answers, so the rest go to s1.
        Assert.Equal(1, failures);
        Assert.Equal(3, servers[0].Calls);
        Assert.Equal(3, servers[1].Calls);
    }

    [Fact]
    public async Task Fail_safe_returns_the_fallback()
    {
        var (servers, invoker) = await StartAsync(1, p =>
        {
            p.Calls.FailMode = FailMode.FailSafe;
            p.Calls.Fallback = e => "fallback:" + e.Status;
        });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Unavailable;
        Assert.Equal("fallback:Unavailable", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(1, servers[0].Calls);
    }

    [Fact]
    public async Task Hedging_sends_a_backup_and_the_first_answer_wins()
    {
        var (servers, invoker) = await StartAsync(2, p =>
        {
            p.Calls.FailMode = FailMode.FailBackup;
            p.Calls.HedgeDelay = TimeSpan.FromMilliseconds(20);
        });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Hang;
        for (int i = 0; i < 6; i++) Assert.Equal("s1", await invoker.UnaryAsync(Echo.Who, "x", new CallOptions { Timeout = TimeSpan.FromSeconds(30) }));
        Assert.True(servers[0].Calls > 0, "some calls went to the hanging instance first");
        // The losing requests are cancelled on the server, not left to hang.
        await Eventually.TrueAsync(() => servers[0].Cancelled == servers[0].Calls, "the hedged losers were cancelled");
    }

    [Fact]
    public async Task Non_idempotent_calls_are_not_hedged()
    {
        var (servers, invoker) = await StartAsync(2, p =>
        {
            p.Calls.FailMode = FailMode.FailBackup;
            p.Calls.HedgeDelay = TimeSpan.FromMilliseconds(20);
        });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Hang;
        servers[1].Behavior = Behavior.Hang;
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Write, "x", new CallOptions { Timeout = TimeSpan.FromMilliseconds(500) }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        Assert.Equal(1, servers.Sum(s => s.Calls));
    }

    [Fact]
    public async Task The_retry_budget_limits_extra_load()
    {
        var (servers, invoker) = await StartAsync(2, p =>
        {
            p.RetryBudgetRatio = 0.1;
            p.RetryBudgetReserve = 0;
        });
        await using var _ = invoker;
        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        const int calls = 200;
        for (int i = 0; i < calls; i++) await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        int extra = servers.Sum(s => s.Calls) - calls;
        Assert.InRange(extra, 1, calls / 10 + 1);
        Assert.True(invoker.RetriesDenied(Echo.Service) > 0);
    }

    [Fact]
    public async Task Retries_carry_the_remaining_deadline()
    {
        var (servers, invoker) = await StartAsync(3, p => p.Calls.MaxAttempts = 3);
        await using var _ = invoker;
        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        var budget = TimeSpan.FromSeconds(20);
        await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x", new CallOptions { Timeout = budget }));
        var seen = servers.SelectMany(s => s.Arrivals).OrderBy(a => a.Arrived).ToArray();
        Assert.Equal(3, seen.Length);
        // Each attempt carries what is left of the one budget, not a fresh one: less than the attempt before it. (A
        // deadline travels as a relative timeout, so the time in transit is not subtracted; but the next attempt is sent
        // only after the previous one's error came back, which takes longer than that transit.)
        Assert.True(seen[0].Remaining <= budget, $"the first attempt carried {seen[0].Remaining} of {budget}");
        for (int i = 1; i < seen.Length; i++)
        {
            Assert.True(seen[i].Remaining < seen[i - 1].Remaining,
                $"attempt {i + 1} carried {seen[i].Remaining}, attempt {i} carried {seen[i - 1].Remaining} of {budget}");
            // The client fixed the deadline before the first attempt arrived and sent this one after the previous one
            // was handled, so at least the time between those two arrivals is gone from the budget.
            var spentBefore = System.Diagnostics.Stopwatch.GetElapsedTime(seen[0].Arrived, seen[i - 1].Arrived);
            Assert.True(seen[i].Remaining < budget - spentBefore, $"attempt {i + 1} carried {seen[i].Remaining}; {spentBefore} of {budget} was spent before it");
        }
    }

    [Fact]
    public async Task No_retry_once_the_deadline_is_spent()
    {
        var (servers, invoker) = await StartAsync(2, p => p.Calls.MaxAttempts = 3);
        await using var _ = invoker;
        foreach (var s in servers) s.Behavior = Behavior.Hang;
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x", new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        Assert.Equal(1, servers.Sum(s => s.Calls));
    }

    [Fact]
    public async Task The_circuit_breaker_opens_on_a_failing_instance_and_closes_after_a_good_probe()
    {
        var (servers, invoker) = await StartAsync(2, p => p.CircuitBreaker = new CircuitBreakerOptions
        {
            MinimumThroughput = 4,
            FailureRatio = 0.5,
            SamplingDuration = TimeSpan.FromSeconds(60),
            BreakDuration = TimeSpan.FromMilliseconds(200),
        });
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Internal; // not retryable: every failure reaches the caller
        int failures = 0;
        for (int i = 0; i < 40; i++)
        {
            try
            {
                Assert.Equal("s1", await invoker.UnaryAsync(Echo.Who, "x"));
            }
            catch (RpcException e) when (e.Status == StatusCode.Internal)
            {
                failures++;
            }
        }
        var breaker = invoker.Endpoints(Echo.Service).Single(e => e.Instance.Address == servers[0].Address).Breaker!;
        Assert.True(breaker.TimesOpened >= 1);
        // Round robin would have sent 20 calls to s0; the breaker stopped them after a few (plus half-open probes).
        Assert.Equal(failures, servers[0].Calls);
        Assert.InRange(failures, 4, 15);

        servers[0].Behavior = Behavior.Normal;
        await Eventually.TrueAsync(async () => await invoker.UnaryAsync(Echo.Who, "x") == "s0", "a probe reaches the healed instance and closes the breaker");
        Assert.Equal(Resilience.CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task The_client_rate_limit_refuses_excess_calls_locally()
    {
        var (servers, invoker) = await StartAsync(1, p => p.RateLimit = new RateLimitOptions { PermitsPerSecond = 5, Burst = 5 });
        await using var _ = invoker;
        int refused = 0;
        for (int i = 0; i < 40; i++)
        {
            try
            {
                await invoker.UnaryAsync(Echo.Who, "x");
            }
            catch (RpcException e) when (e.Status == StatusCode.ResourceExhausted)
            {
                refused++;
                Assert.Contains("rate limit", e.Message, StringComparison.Ordinal);
            }
        }
        Assert.Equal(40, refused + servers[0].Calls);
        Assert.True(refused > 0);
        Assert.Equal(refused, invoker.RateLimited(Echo.Service));
    }

    [Fact]
    public async Task A_full_bulkhead_refuses_at_once_and_frees_when_calls_finish()
    {
        var (servers, invoker) = await StartAsync(1, p => p.MaxConcurrentCalls = 3);
        await using var _ = invoker;
        servers[0].Behavior = Behavior.Hang;
        using var cancel = new CancellationTokenSource();
        var hanging = Enumerable.Range(0, 3).Select(_ => invoker.UnaryAsync(Echo.Who, "x", new CallOptions(cancel.Token)).AsTask()).ToArray();
        await Eventually.TrueAsync(() => servers[0].Calls == 3, "three calls hang on the server");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        Assert.Contains("bulkhead", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, servers[0].Calls);
        Assert.Equal(1, invoker.BulkheadRejected(Echo.Service));

        servers[0].Behavior = Behavior.Normal;
        await cancel.CancelAsync();
        foreach (var t in hanging) await Assert.ThrowsAsync<RpcException>(() => t);
        Assert.Equal("s0", await invoker.UnaryAsync(Echo.Who, "x"));
    }

    private sealed class RecordingMiddleware : IClientMiddleware
    {
        public List<ServiceInstance?> Seen { get; } = [];

        public async ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            lock (Seen) Seen.Add(context.GetServiceInstance());
            await next(context);
        }
    }

    [Fact]
    public async Task Middleware_sees_the_chosen_instance()
    {
        var middleware = new RecordingMiddleware();
        var (servers, invoker) = await StartAsync(2, _ => { }, o => o.Client.Middleware.Add(middleware));
        await using var _ = invoker;
        var answers = new List<string>();
        for (int i = 0; i < 4; i++) answers.Add(await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(4, middleware.Seen.Count);
        for (int i = 0; i < 4; i++) Assert.Equal(servers.Single(s => s.Name == answers[i]).Address, middleware.Seen[i]!.Address);
    }

    [Fact]
    public async Task No_instance_is_a_clear_unavailable()
    {
        var registry = new StaticServiceRegistry();
        await using var invoker = new GovernedCallInvoker(registry);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("no instance of service 'echo'", e.Message, StringComparison.Ordinal);
    }
}
