namespace Meshwork.Rpc.Tests;

public class ShutdownTests
{
    [Fact]
    public async Task Graceful_stop_sends_go_away_and_lets_in_flight_calls_finish()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.ConnectAsync();
        var inFlight = f.Channel.UnaryAsync(TestService.Sleep, 400).AsTask();
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 1);
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
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 1);
        await f.Server.StopAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => stuck);
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal(StatusCode.Unavailable, await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Client_moves_new_calls_to_a_new_connection_after_go_away()
    {
        // Two servers cannot share a port, so observe go-away on one server: after it, the client must not send
        // new calls on the draining connection; they fail fast instead of hanging.
        await using var f = await ServerFixture.StartAsync(server: o => o.DrainTimeout = TimeSpan.FromSeconds(2));
        await f.Channel.ConnectAsync();
        var inFlight = f.Channel.UnaryAsync(TestService.Sleep, 500).AsTask();
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 1);
        var stop = f.Server.StopAsync();
        await Task.Delay(100);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "new"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal("slept", await inFlight);
        await stop;
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
