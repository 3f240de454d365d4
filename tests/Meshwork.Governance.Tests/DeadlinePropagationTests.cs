using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance.Tests;

/// <summary>A deadline crosses two hops: client → relay → echo.</summary>
public class DeadlinePropagationTests
{
    private static readonly Method<string, string> Relay =
        new("relay", "Relay", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    [Fact]
    public async Task The_next_hop_gets_the_remaining_time_and_the_error_names_the_hop_that_spent_it()
    {
        await using var echo = await TestServer.StartAsync("echo-hop");
        echo.Behavior = Behavior.Hang;
        var registry = new StaticServiceRegistry([echo.Instance()]);
        await using var downstream = new GovernedCallInvoker(registry);

        var relayServer = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "relay");
        TimeSpan? relayReceived = null;
        relayServer.AddService(new ServiceDefinition("relay").AddUnary(Relay, async (request, context) =>
        {
            relayReceived = context.RemainingTime;
            return await downstream.UnaryAsync(Echo.Who, request, context.Outgoing(reserve: TimeSpan.FromMilliseconds(300)));
        }));
        await relayServer.StartAsync();
        await using var _ = relayServer;
        await registry.RegisterAsync(new ServiceInstance("relay", relayServer.BoundEndpoints[0].ToString()));
        await using var client = new GovernedCallInvoker(registry);

        var budget = TimeSpan.FromSeconds(1);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.UnaryAsync(Relay, "x", new CallOptions { Timeout = budget }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        // The second hop received less than the first, which received at most the budget.
        var second = Assert.Single(echo.Arrivals).Remaining;
        Assert.True(relayReceived <= budget);
        Assert.True(second < relayReceived, $"second hop got {second}, first hop {relayReceived}");
        // The error the client sees names the downstream instance that ran out of time.
        Assert.True(e.Message.Contains(echo.Address, StringComparison.Ordinal), e.Message);
        // The downstream handler sees its cancellation after the relay's error is on its way back: wait for it.
        await Eventually.TrueAsync(() => echo.Cancelled == 1, "the downstream handler observed the deadline");
    }
}
