using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance.Tests;

public class ServerRateLimitTests
{
    private static async Task<(TestServer Server, ServerRateLimitMiddleware Limits)> StartAsync(ServerRateLimitOptions options)
    {
        var server = new TestServer("limited");
        var limits = new ServerRateLimitMiddleware(options);
        server.Server.Use(limits);
        await server.Server.StartAsync();
        return (server, limits);
    }

    private static async Task<int> CallAsync(CallInvoker channel, Method<string, string> method, int count, Metadata? headers = null)
    {
        int refused = 0;
        for (int i = 0; i < count; i++)
        {
            try
            {
                await channel.UnaryAsync(method, "x", new CallOptions { Headers = headers });
            }
            catch (RpcException e) when (e.Status == StatusCode.ResourceExhausted)
            {
                Assert.Contains("rate limit of", e.Message, StringComparison.Ordinal);
                refused++;
            }
        }
        return refused;
    }

    [Fact]
    public async Task A_method_over_its_limit_is_refused_at_once_and_other_methods_are_not()
    {
        var options = new ServerRateLimitOptions();
        options.Methods["echo/Write"] = new RateLimitOptions { PermitsPerSecond = 2, Burst = 2 };
        var (server, limits) = await StartAsync(options);
        await using var _ = server;
        await using var __ = limits;
        await using var channel = RpcChannel.ForAddress(server.Address);
        int refused = await CallAsync(channel, Echo.Write, 30);
        Assert.True(refused > 0);
        Assert.Equal(30, refused + server.Calls);
        Assert.Equal(0, await CallAsync(channel, Echo.Who, 30));
        Assert.Equal(refused, limits.Rejected);
    }

    [Fact]
    public async Task Each_caller_has_its_own_bucket()
    {
        var (server, limits) = await StartAsync(new ServerRateLimitOptions { PerCaller = new RateLimitOptions { PermitsPerSecond = 2, Burst = 2 } });
        await using var _ = server;
        await using var __ = limits;
        await using var channel = RpcChannel.ForAddress(server.Address);
        Assert.True(await CallAsync(channel, Echo.Who, 20, new Metadata { { "caller", "greedy" } }) > 0);
        // A different caller still gets its burst while the greedy one is throttled.
        Assert.Equal(0, await CallAsync(channel, Echo.Who, 2, new Metadata { { "caller", "polite" } }));
    }

    [Fact]
    public void Bad_limits_name_the_setting()
    {
        var options = new ServerRateLimitOptions();
        options.Services["echo"] = new RateLimitOptions { PermitsPerSecond = 0 };
        var e = Assert.Throws<ArgumentException>(() => new ServerRateLimitMiddleware(options));
        Assert.Contains("ServerRateLimitOptions.Services[echo].PermitsPerSecond", e.Message, StringComparison.Ordinal);
    }
}
