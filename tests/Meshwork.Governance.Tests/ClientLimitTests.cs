using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Governance.Tests;

/// <summary>Client-side protection per method and per service: rate limits, fallbacks, bulkheads (streams included) and per-service pools.</summary>
public sealed class ClientLimitTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>A second service on the same servers, to show that one service's limits leave another's alone.</summary>
    private static readonly Method<string, string> OtherWho = new("other", "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
    }

    private async Task<(TestServer[] Servers, GovernedCallInvoker Invoker)> StartAsync(int count, GovernanceOptions options)
    {
        var servers = new TestServer[count];
        for (int i = 0; i < count; i++)
        {
            servers[i] = new TestServer("s" + i, new ServiceDefinition("other").AddUnary(OtherWho, (_, _) => new ValueTask<string>("other")));
            await servers[i].Server.StartAsync();
            _owned.Add(servers[i]);
        }
        var registry = new StaticServiceRegistry(servers.SelectMany(s => new[] { s.Instance(), new ServiceInstance("other", s.Address) }));
        var invoker = new GovernedCallInvoker(registry, options);
        _owned.Add(invoker);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == count, Eventually.Token());
        return (servers, invoker);
    }

    [Fact]
    public async Task A_method_rate_limit_from_configuration_refuses_that_method_locally_and_counts()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Client:Services:echo:Methods:Write:RateLimit:PermitsPerSecond"] = "0.001",
            ["Client:Services:echo:Methods:Write:RateLimit:Burst"] = "2",
        }).Build();
        var (servers, invoker) = await StartAsync(1, GovernanceConfiguration.Read(config.GetSection("Client")));
        Assert.Equal("s0", await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal("s0", await invoker.UnaryAsync(Echo.Write, "x"));
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains("client rate limit of method 'echo/Write'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, servers[0].Calls); // refused locally: the server never saw it
        Assert.Equal(1, invoker.RateLimited(Echo.Service, "Write"));
        Assert.Equal(1, invoker.RateLimited(Echo.Service));
        // Other methods of the service are not limited by it.
        for (int i = 0; i < 20; i++) Assert.Equal("s0", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(1, invoker.RateLimited(Echo.Service));
    }

    [Fact]
    public async Task A_service_rate_limit_also_covers_streams()
    {
        var options = new GovernanceOptions();
        options.Services[Echo.Service] = new ServicePolicy { RateLimit = new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 1 } };
        var (_, invoker) = await StartAsync(1, options);
        Assert.Equal(new[] { 0, 1, 2 }, await invoker.ServerStreaming(Echo.Stream, 3).ToArrayAsync());
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await invoker.ServerStreaming(Echo.Stream, 3).ToArrayAsync());
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains("client rate limit of service 'echo'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, invoker.RateLimited(Echo.Service));
    }

    [Fact]
    public async Task A_method_fallback_answers_when_every_instance_fails_and_only_then()
    {
        var options = new GovernanceOptions();
        var policy = new ServicePolicy();
        policy.Methods["Who"] = new CallPolicy().WithFallback(Echo.Who, (request, error, _) => ValueTask.FromResult($"fallback for {request}: {error.Status}"));
        options.Services[Echo.Service] = policy;
        var (servers, invoker) = await StartAsync(2, options);

        Assert.StartsWith("s", await invoker.UnaryAsync(Echo.Who, "x"), StringComparison.Ordinal);
        Assert.Equal(0, invoker.FallbacksUsed(Echo.Service));

        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        Assert.Equal("fallback for x: Unavailable", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.True(servers.Sum(s => s.Calls) >= 3, "fail-over tried the instances before the fallback answered");
        Assert.Equal(1, invoker.FallbacksUsed(Echo.Service));

        // Application errors pass through: a substitute answer would hide the caller's bug.
        foreach (var s in servers) s.Behavior = Behavior.Invalid;
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"))).Status);
        // Another method of the same service has no fallback.
        foreach (var s in servers) s.Behavior = Behavior.Unavailable;
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Write, "x"))).Status);
        Assert.Equal(1, invoker.FallbacksUsed(Echo.Service));
    }

    [Fact]
    public async Task A_method_fallback_answers_a_local_rate_limit_refusal()
    {
        var options = new GovernanceOptions();
        var policy = new ServicePolicy();
        policy.Methods["Write"] = new CallPolicy { RateLimit = new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 1 } }
            .WithFallback(Echo.Write, (_, error, _) => ValueTask.FromResult("queued for later"));
        options.Services[Echo.Service] = policy;
        var (servers, invoker) = await StartAsync(1, options);
        Assert.Equal("s0", await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal("queued for later", await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal(1, servers[0].Calls);
        Assert.Equal(1, invoker.FallbacksUsed(Echo.Service));
    }

    [Fact]
    public async Task The_bulkhead_counts_open_streams_and_frees_their_slots_when_they_end()
    {
        var options = new GovernanceOptions();
        options.Services[Echo.Service] = new ServicePolicy { MaxConcurrentCalls = 2 };
        var (servers, invoker) = await StartAsync(1, options);

        // Two streams held open fill the bulkhead of 'echo'.
        using var stop = new CancellationTokenSource();
        var open = new List<IAsyncEnumerator<int>>();
        for (int i = 0; i < 2; i++)
        {
            var e = invoker.ServerStreaming(Echo.Stream, -1, new CallOptions { CancellationToken = stop.Token }).GetAsyncEnumerator();
            Assert.True(await e.MoveNextAsync());
            open.Add(e);
        }
        await Eventually.TrueAsync(() => servers[0].OpenStreams == 2, "both streams are served");

        var unary = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, unary.Status);
        Assert.Contains("bulkhead of service 'echo' is full (2 calls and streams in flight)", unary.Message, StringComparison.Ordinal);
        var third = await Assert.ThrowsAsync<RpcException>(async () => await invoker.ServerStreaming(Echo.Stream, 1).ToArrayAsync());
        Assert.Equal(StatusCode.ResourceExhausted, third.Status);
        Assert.Equal(2, invoker.BulkheadRejected(Echo.Service));

        // Another service on the same servers has its own bulkhead and its own connections.
        Assert.Equal("other", await invoker.UnaryAsync(OtherWho, "x"));
        Assert.NotSame(invoker.Endpoints(Echo.Service)[0].Channel, invoker.Endpoints("other")[0].Channel);

        // One stream ends by completion of the caller's loop (dispose), the other by cancellation: both slots come back.
        await open[0].DisposeAsync();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(async () => await open[1].MoveNextAsync());
        await open[1].DisposeAsync();
        await Eventually.TrueAsync(() => servers[0].OpenStreams == 0, "the server saw both streams end");
        Assert.Equal("s0", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(new[] { 0, 1 }, await invoker.ServerStreaming(Echo.Stream, 2).ToArrayAsync());
        Assert.Equal(2, invoker.BulkheadRejected(Echo.Service));
    }

    [Fact]
    public async Task Each_service_has_its_own_pool_with_its_configured_size()
    {
        var options = new GovernanceOptions();
        options.Services[Echo.Service] = new ServicePolicy { ConnectionsPerInstance = 3 };
        var (servers, invoker) = await StartAsync(1, options);
        // Slots are used round-robin and connected on first use: six calls open all three of echo's connections.
        for (int i = 0; i < 6; i++) await invoker.UnaryAsync(Echo.Who, "x");
        await Eventually.TrueAsync(() => servers[0].Server.ConnectionCount == 3, "echo's pool holds three connections");
        // 'other' on the same server does not share them: it opens its own (one, the default).
        for (int i = 0; i < 6; i++) await invoker.UnaryAsync(OtherWho, "x");
        await Eventually.TrueAsync(() => servers[0].Server.ConnectionCount == 4, "other's pool adds its own connection");
        Assert.NotSame(invoker.Endpoints(Echo.Service)[0].Channel, invoker.Endpoints("other")[0].Channel);
    }
}
