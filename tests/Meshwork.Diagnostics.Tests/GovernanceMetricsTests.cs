using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Diagnostics.Tests;

[Collection(TelemetryCollection.Name)]
public sealed class GovernanceMetricsTests
{
    private static async Task<(RpcServer Good, RpcServer Bad, GovernedCallInvoker Invoker)> StartAsync(ServicePolicy policy)
    {
        var good = await Echo.StartAsync(Echo.Define(), "good", telemetry: false);
        var bad = await Echo.StartAsync(Echo.Define(say: (_, _) => throw new RpcException(StatusCode.Unavailable, "bad is refusing calls")), "bad", telemetry: false);
        var registry = new StaticServiceRegistry([new ServiceInstance(Echo.Service, good.BoundEndpoints[0].ToString()), new ServiceInstance(Echo.Service, bad.BoundEndpoints[0].ToString())]);
        var options = new GovernanceOptions();
        options.Services[Echo.Service] = policy;
        var invoker = new GovernedCallInvoker(registry, options);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 2, Eventually.Token());
        return (good, bad, invoker);
    }

    [Fact]
    public async Task Picks_retries_and_breaker_transitions_are_counted()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.GovernanceMeterName);
        var (good, bad, invoker) = await StartAsync(new ServicePolicy
        {
            Balancer = "round-robin",
            Calls = new CallPolicy { FailMode = FailMode.FailOver },
            CircuitBreaker = new CircuitBreakerOptions { MinimumThroughput = 2, FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(60), BreakDuration = TimeSpan.FromSeconds(60) },
        });
        await using (good)
        await using (bad)
        await using (invoker)
        {
            for (int i = 0; i < 20; i++) Assert.Equal("x", await invoker.UnaryAsync(Echo.Say, "x"));

            Assert.True(metrics.Sum("meshwork.governance.picks") >= 20);
            Assert.All(metrics.Of("meshwork.governance.picks"), p => Assert.Equal("round-robin", p.Tag(GovernanceMetrics.BalancerAttribute)));
            Assert.True(metrics.Sum("meshwork.governance.retries", p => p.Tag(GovernanceMetrics.MethodAttribute) == "Say") >= 1);
            var badId = new ServiceInstance(Echo.Service, bad.BoundEndpoints[0].ToString()).Id;
            var opened = Assert.Single(metrics.Of("meshwork.governance.breaker.transitions"));
            Assert.Equal("open", opened.Tag(GovernanceMetrics.StateAttribute));
            Assert.Equal(badId, opened.Tag(GovernanceMetrics.InstanceAttribute));
        }
    }

    [Fact]
    public async Task Client_rate_limit_rejections_and_server_shed_load_are_counted()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.GovernanceMeterName);
        var serverLimits = new ServerRateLimitOptions();
        serverLimits.Methods["echo/Say"] = new RateLimitOptions { PermitsPerSecond = 1, Burst = 1 };
        await using var limits = new ServerRateLimitMiddleware(serverLimits);
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        server.Use(limits).AddService(Echo.Define());
        await server.StartAsync();
        await using (server)
        await using (var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]))
        {
            for (int i = 0; i < 5; i++)
            {
                try
                {
                    await channel.UnaryAsync(Echo.Say, "x");
                }
                catch (RpcException e) when (e.Status == StatusCode.ResourceExhausted)
                {
                }
            }
        }
        Assert.Equal(limits.Rejected, metrics.Sum("meshwork.governance.server.shed", p => p.Tag(GovernanceMetrics.LimitAttribute) == "method"));
        Assert.True(limits.Rejected > 0);

        var (good, bad, invoker) = await StartAsync(new ServicePolicy { RateLimit = new RateLimitOptions { PermitsPerSecond = 1, Burst = 1 } });
        await using (good)
        await using (bad)
        await using (invoker)
        {
            for (int i = 0; i < 5; i++)
            {
                try
                {
                    await invoker.UnaryAsync(Echo.Say, "x");
                }
                catch (RpcException)
                {
                }
            }
            Assert.Equal(invoker.RateLimited(Echo.Service), metrics.Sum("meshwork.governance.rate_limited"));
            Assert.True(invoker.RateLimited(Echo.Service) > 0);
        }
    }
}
