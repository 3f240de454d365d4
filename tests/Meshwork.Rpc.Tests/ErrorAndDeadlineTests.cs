using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

public class ErrorAndDeadlineTests
{
    [Fact]
    public async Task Unknown_service_and_method_are_NotFound_with_a_useful_message()
    {
        await using var f = await ServerFixture.StartAsync();
        var noService = new Method<string, string>("Nope", "Echo", Protocol.CallKind.Unary, Serialization.MessageTypes.Plain<string>(), Serialization.MessageTypes.Plain<string>());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(noService, "x"));
        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Contains("service 'Nope'", ex.Message);

        var noMethod = new Method<string, string>(TestService.Name, "Missing", Protocol.CallKind.Unary, Serialization.MessageTypes.Plain<string>(), Serialization.MessageTypes.Plain<string>());
        ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(noMethod, "x"));
        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Contains("no method 'Missing'", ex.Message);
        Assert.Contains("Echo", ex.Message);
    }

    [Fact]
    public async Task Call_kind_mismatch_is_rejected()
    {
        await using var f = await ServerFixture.StartAsync();
        var wrong = new Method<int, int>(TestService.Name, "Count", Protocol.CallKind.Unary, Serialization.MessageTypes.Plain<int>(), Serialization.MessageTypes.Plain<int>());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(wrong, 1));
        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
    }

    [Fact]
    public async Task Handler_exceptions_map_to_Internal_without_leaking_details()
    {
        await using var f = await ServerFixture.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Fail, "boom"));
        Assert.Equal(StatusCode.Internal, ex.Status);
        Assert.DoesNotContain("secret internal detail", ex.Message);
        Assert.DoesNotContain("   at ", ex.Message);
        // The connection survives a failed call.
        Assert.Equal("ok", await f.Channel.UnaryAsync(TestService.Echo, "ok"));
    }

    [Fact]
    public async Task Detailed_errors_include_the_exception_when_enabled()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.DetailedErrors = true);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Fail, "boom"));
        Assert.Contains("secret internal detail", ex.Message);
        Assert.Contains("InvalidOperationException", ex.Message);
    }

    [Fact]
    public async Task RpcException_status_message_and_trailers_reach_the_client()
    {
        await using var f = await ServerFixture.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Fail, "rpc"));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Equal("not for you", ex.Message);

        ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Fail, "trailers"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal("5", ex.Trailers?["retry-after"]);
    }

    [Fact]
    public async Task Deadline_propagates_and_the_server_handler_is_cancelled()
    {
        await using var f = await ServerFixture.StartAsync();
        // Connected first, so the budget is not spent on connecting (the message's figures would then be meaningless).
        await f.Channel.ConnectAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await f.Channel.UnaryAsync(TestService.Sleep, 30_000, new CallOptions { Timeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        Assert.Matches(ClientDeadlineMessage("200"), ex.Message);
        // The handler's token fired. Here the client's cancel frame and the server's own deadline race, so either
        // reason is right; the next test takes the cancel frame away.
        var reason = await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(reason is StatusCode.DeadlineExceeded or StatusCode.Cancelled);
    }

    [Fact]
    public async Task Server_enforces_the_propagated_deadline_without_the_clients_cancel()
    {
        // The tap withholds every cancel frame, so only the timeout in the request header can stop the handler.
        await using var f = await ServerFixture.StartAsync();
        await using var tap = FrameTap.Start(f.Server.BoundEndpoints[0], dropToServer: s => s.Type == FrameType.Cancel);
        await using var channel = RpcChannel.ForEndpoint(tap.Endpoint);
        await channel.ConnectAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.UnaryAsync(TestService.Sleep, 60_000, new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        Assert.Matches(ClientDeadlineMessage("300"), ex.Message);

        // The server cancelled the handler by itself, for the deadline, and said so on the wire.
        Assert.Equal(StatusCode.DeadlineExceeded, await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await WaitUntil(() => tap.ToClient.Any(s => s.Type == FrameType.Response));
        // The client's cancel and the server's reply cross in the tap in either order.
        await WaitUntil(() => tap.ToServer.Any(s => s.Type == FrameType.Cancel && s.Dropped));
        var response = Assert.Single(tap.ToClient, s => s.Type == FrameType.Response);
        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
        // The budget that reached the server is what the client had left when it sent the request (at most 300 ms).
        Assert.Matches(@"^deadline of \d+(\.\d)? ms exceeded inside server test-server while Test/Sleep ran " +
            @"\(the handler used \d+(\.\d)? ms of the budget that reached the server\)$", response.StatusMessage);
    }

    /// <summary>The client's attribution of a missed deadline: its budget, the time queued locally, the time on the server hop.</summary>
    private static string ClientDeadlineMessage(string budgetMs) =>
        $@"^deadline of {budgetMs} ms exceeded for Test/Sleep: \d+(\.\d)? ms spent in the client before sending, " +
        @"\d+(\.\d)? ms waiting for 127\.0\.0\.1:\d+ \(network and server\) with no response$";

    [Fact]
    public async Task Default_timeout_from_options_applies()
    {
        await using var f = await ServerFixture.StartAsync(client: o => o.DefaultTimeout = TimeSpan.FromMilliseconds(150));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Sleep, 30_000));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
    }

    [Fact]
    public async Task Client_cancellation_sends_cancel_and_fires_the_server_token()
    {
        await using var f = await ServerFixture.StartAsync();
        using var cts = new CancellationTokenSource();
        var call = f.Channel.UnaryAsync(TestService.Sleep, 30_000, cts.Token).AsTask();
        await WaitUntil(() => f.Server.ActiveCalls == 1);
        cts.Cancel();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, ex.Status);
        Assert.Equal(StatusCode.Cancelled, await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Already_cancelled_token_fails_fast()
    {
        await using var f = await ServerFixture.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x", new CancellationToken(true)));
        Assert.Equal(StatusCode.Cancelled, ex.Status);
    }

    [Fact]
    public async Task Server_rejects_over_its_call_limit_at_once_with_ResourceExhausted()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxConcurrentCalls = 2);
        var slow1 = f.Channel.UnaryAsync(TestService.Sleep, 2000).AsTask();
        var slow2 = f.Channel.UnaryAsync(TestService.Sleep, 2000).AsTask();
        await WaitUntil(() => f.Server.ActiveCalls == 2);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("MaxConcurrentCalls", ex.Message);
        Assert.False(slow1.IsCompleted);
        await Task.WhenAll(slow1, slow2);
    }

    [Fact]
    public async Task Client_stream_limit_applies_back_pressure_then_deadline()
    {
        await using var f = await ServerFixture.StartAsync(client: o => o.MaxConcurrentStreamsPerConnection = 1);
        await f.Channel.ConnectAsync();
        var slow = f.Channel.UnaryAsync(TestService.Sleep, 1000).AsTask();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await f.Channel.UnaryAsync(TestService.Echo, "x", new CallOptions { Timeout = TimeSpan.FromMilliseconds(100) }));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        Assert.Contains("MaxConcurrentStreamsPerConnection", ex.Message);
        Assert.Equal("slept", await slow);
        // Once the slot frees, calls flow again.
        Assert.Equal("y", await f.Channel.UnaryAsync(TestService.Echo, "y"));
    }

    [Fact]
    public async Task Unreachable_endpoint_fails_with_Unavailable_and_backs_off()
    {
        int port = FreePort();
        await using var channel = RpcChannel.ForAddress($"127.0.0.1:{port}", new RpcClientOptions { ReconnectBackoffInitial = TimeSpan.FromSeconds(30), ReconnectBackoffMax = TimeSpan.FromSeconds(30) });
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Contains("next attempt in", ex.Message);
    }

    [Fact]
    public async Task Client_reconnects_after_the_server_restarts_on_the_same_port()
    {
        var state = new TestService.State();
        var first = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        first.AddService(TestService.Build(state));
        await first.StartAsync();
        var endpoint = first.BoundEndpoints[0];
        await using var channel = RpcChannel.ForEndpoint(endpoint, new RpcClientOptions { ReconnectBackoffInitial = TimeSpan.FromMilliseconds(20), ReconnectBackoffMax = TimeSpan.FromMilliseconds(50) });
        Assert.Equal("a", await channel.UnaryAsync(TestService.Echo, "a"));
        await first.DisposeAsync();

        await using var second = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { endpoint.Display } });
        second.AddService(TestService.Build(state));
        await second.StartAsync();
        // Calls fail fast with Unavailable until the backoff lets the pool reconnect; then they reach the new server.
        string? answer = null;
        await WaitUntil(async () =>
        {
            try
            {
                answer = await channel.UnaryAsync(TestService.Echo, "b");
                return true;
            }
            catch (RpcException ex) when (ex.Status == StatusCode.Unavailable)
            {
                return false;
            }
        });
        Assert.Equal("b", answer);
    }

    // Shared helpers live in tests/Meshwork.Testing; these forwarders keep the existing call sites unchanged.
    internal static int FreePort() => Meshwork.Testing.FreePort.TcpAndUdp();

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test when it has not within the timeout.</summary>
    internal static Task WaitUntil(Func<bool> condition, int timeoutMs = 30_000) =>
        Eventually.TrueAsync(condition, "condition", timeoutMs / 1000.0);

    /// <summary>Polls an asynchronous <paramref name="condition"/> until it holds; fails the test when it has not within the timeout.</summary>
    internal static Task WaitUntil(Func<Task<bool>> condition, int timeoutMs = 30_000) =>
        Eventually.TrueAsync(condition, "condition", timeoutMs / 1000.0);
}
