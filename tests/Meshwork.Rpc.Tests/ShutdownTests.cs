using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Tests;

public class ShutdownTests
{
    [Fact]
    public async Task Graceful_stop_sends_go_away_and_lets_in_flight_calls_finish()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.ConnectAsync();
        var inFlight = f.Channel.UnaryAsync(TestService.Sleep, 400).AsTask();
        // The handler must be running: a call the server has counted but not yet launched is refused by the stop.
        await f.State.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var stop = f.Server.StopAsync();
        Assert.Equal("slept", await inFlight);
        await stop;
        Assert.Equal(0, f.Server.ConnectionCount);
        // New calls after shutdown fail cleanly as Unavailable (the client will not reach a stopped server).
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "late"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    [Fact]
    public async Task Drain_timeout_cancels_calls_that_run_too_long()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.DrainTimeout = TimeSpan.FromMilliseconds(200));
        await f.Channel.ConnectAsync();
        var stuck = f.Channel.UnaryAsync(TestService.Sleep, 60_000).AsTask();
        // The handler must be running: a call the server has counted but not yet launched is refused by the stop.
        await f.State.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await f.Server.StopAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => stuck);
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal(StatusCode.Unavailable, await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Client_moves_new_calls_to_a_new_connection_after_go_away()
    {
        // A call is in flight on the first server when it starts to drain. After the client has read the go-away, a
        // second server takes over the same endpoint: the next call must go there on a new connection at the first
        // attempt (a call sent on the draining connection would be refused with Unavailable), while the first
        // connection stays open until its call has finished.
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var first = NamedServer("first", "127.0.0.1:0", release.Task, held);
        await first.StartAsync();
        var endpoint = first.BoundEndpoints[0];
        var log = new LogCapture();
        await using var channel = Client.RpcChannel.ForEndpoint(endpoint, new Client.RpcClientOptions { LoggerFactory = log });
        Assert.Equal("first", await channel.UnaryAsync(Who, ""));
        var inFlight = channel.UnaryAsync(Hold, "").AsTask();
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stop = first.StopAsync();
        await ErrorAndDeadlineTests.WaitUntil(() => log.Has(GoAwayReceivedEventId));
        await using var second = NamedServer("second", endpoint.Display, release.Task);
        await second.StartAsync();

        Assert.Equal("second", await channel.UnaryAsync(Who, ""));
        Assert.Equal(1, second.ConnectionCount);
        Assert.Equal(1, first.ConnectionCount);
        Assert.False(inFlight.IsCompleted);

        release.SetResult("finished");
        Assert.Equal("finished", await inFlight);
        await stop;
        Assert.Equal(0, first.ConnectionCount);
        Assert.Equal("second", await channel.UnaryAsync(Who, ""));
    }

    private const int GoAwayReceivedEventId = 1011;
    private static readonly Method<string, string> Who = new("Shutdown", "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Hold = new("Shutdown", "Hold", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    /// <summary>A server whose Who answers its name and whose Hold finishes when the test releases it.</summary>
    private static Server.RpcServer NamedServer(string name, string endpoint, Task<string> release, TaskCompletionSource? held = null)
    {
        var server = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { endpoint }, DrainTimeout = TimeSpan.FromSeconds(60) }, name: name);
        server.AddService(new Server.ServiceDefinition("Shutdown")
            .AddUnary(Who, (_, ctx) => new ValueTask<string>(name))
            .AddUnary(Hold, async (_, ctx) =>
            {
                held?.TrySetResult();
                return await release.WaitAsync(ctx.CancellationToken);
            }));
        return server;
    }

    [Fact]
    public async Task Concurrent_stops_and_synchronous_dispose_are_safe()
    {
        var server = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        server.AddService(TestService.Build(new TestService.State()));
        await server.StartAsync();
        await using (var channel = Client.RpcChannel.ForEndpoint(server.BoundEndpoints[0]))
        {
            Assert.Equal("x", await channel.UnaryAsync(TestService.Echo, "x"));
        }
        var a = server.StopAsync();
        var b = server.StopAsync();
        await Task.WhenAll(a, b);
        server.Dispose();
        server.Dispose();

        var never = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        await never.StopAsync();
        never.Dispose();
    }
}
