using Meshwork.Rpc;
using Meshwork.Tars.Tests.Codec;

namespace Meshwork.Tars.Tests.Echo;

/// <summary>Meshwork TARS client against the Meshwork TARS server, over every wire version.</summary>
public sealed class LoopbackTests
{
    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.TupComplex, TarsVersion.Tup };

    private static async Task<(TarsServer Server, EchoService Service, string Proxy)> StartAsync(TarsServerOptions? options = null)
    {
        var service = new EchoService();
        var server = new TarsServer(options).AddService(service.Definition());
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        return (server, service, $"{EchoService.ObjectName}@{endpoint}");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Every_function_round_trips(short version)
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy, new TarsClientOptions { Version = version });
        var client = new EchoClient(channel);
        Assert.Equal("héllo 世界", await client.EchoAsync("héllo 世界"));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        var big = new string('x', 100_000);
        Assert.Equal(big, await client.EchoAsync(big));
        var back = await client.MirrorAsync(new Pair { A = 7, S = "hi", Big = 1234567890123, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal(8, back.A);
        Assert.Equal(new byte[] { 3, 2, 1 }, back.Raw);
        Assert.Equal("v", back.Tags["k"]);
        await client.PingAsync();
        var fail = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
        Assert.Contains("fail requested", fail.Message, StringComparison.Ordinal);
        var nosuch = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync("nosuch"));
        Assert.Equal(TarsReturnCode.NoFunction, nosuch.GetTarsReturnCode());
        Assert.Equal(StatusCode.Unimplemented, nosuch.Status);
    }

    [Fact]
    public async Task An_unknown_object_is_answered_no_servant()
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(channel, "No.Such.Obj").EchoAsync("x"));
        Assert.Equal(TarsReturnCode.NoServant, e.GetTarsReturnCode());
        Assert.Contains("No.Such.Obj", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_slower_than_its_timeout_fails_with_invoke_timeout_and_the_server_cancels_the_handler()
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.SleepAsync(30_000, new CallOptions { Timeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        Assert.Equal(TarsReturnCode.InvokeTimeout, e.GetTarsReturnCode());
        await Eventually.TrueAsync(() => server.InFlight == 0, "the server cancelled the handler at the client's iTimeout");
        Assert.Equal(3, await client.SleepAsync(3)); // the connection is still usable
    }

    [Fact]
    public async Task One_way_calls_run_and_get_no_reply()
    {
        var (server, service, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        await client.EchoOneWayAsync("fire");
        await Eventually.TrueAsync(() => service.Echoed.Contains("fire"), "the one-way call reached the handler");
        Assert.Equal("after", await client.EchoAsync("after"));
    }

    [Fact]
    public async Task Calls_beyond_the_in_flight_limit_are_answered_overload_at_once()
    {
        var (server, _, proxy) = await StartAsync(new TarsServerOptions { MaxConcurrentCallsPerConnection = 2 });
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        var slow = Enumerable.Range(0, 2).Select(_ => client.SleepAsync(1500, new CallOptions { Timeout = TimeSpan.FromSeconds(30) })).ToArray();
        await Eventually.TrueAsync(() => server.InFlight == 2, "two calls in flight");
        var e = await Assert.ThrowsAsync<RpcException>(() => client.EchoAsync("third"));
        Assert.Equal(TarsReturnCode.ServerOverload, e.GetTarsReturnCode());
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        await Task.WhenAll(slow);
    }

    [Fact]
    public async Task Calls_fail_over_to_the_next_endpoint_when_one_refuses_connections()
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        int dead = FreePort.TcpAndUdp();
        string twoEndpoints = $"{EchoService.ObjectName}@tcp -h 127.0.0.1 -p {dead} -t 3000:{server.Endpoint}";
        await using var channel = TarsChannel.ForProxy(twoEndpoints);
        var client = new EchoClient(channel);
        for (int i = 0; i < 4; i++) Assert.Equal("x" + i, await client.EchoAsync("x" + i));
    }

    [Fact]
    public async Task A_dead_endpoint_fails_fast_with_connect_error()
    {
        int dead = FreePort.TcpAndUdp();
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@tcp -h 127.0.0.1 -p {dead}");
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(channel).EchoAsync("x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Equal(TarsReturnCode.ProxyConnectError, e.GetTarsReturnCode());
    }

    [Fact]
    public async Task Stop_lets_calls_in_flight_answer_before_closing()
    {
        var (server, _, proxy) = await StartAsync();
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        var slow = client.SleepAsync(1000, new CallOptions { Timeout = TimeSpan.FromSeconds(30) });
        await Eventually.TrueAsync(() => server.InFlight == 1, "the slow call is in flight");
        await server.StopAsync();
        Assert.Equal(1000, await slow);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_tells_clients_to_reconnect_so_new_calls_do_not_wait_on_the_draining_connection()
    {
        var (server, service, proxy) = await StartAsync();
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        var held = client.CallAsync("wait", new CallOptions { Timeout = TimeSpan.FromSeconds(60) });
        await Eventually.TrueAsync(() => server.InFlight == 1, "the held call is in flight");
        var stopping = server.StopAsync();
        // After the _reconnect_ push the channel opens a new connection for new calls; the listener is closed, so a call
        // fails at once as unreachable. Without the push it would go out on the draining connection, which no longer
        // reads, and time out (a call that raced the push does, hence the retries with a short timeout).
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await client.EchoAsync("new", new CallOptions { Timeout = TimeSpan.FromSeconds(1) });
                return false;
            }
            catch (RpcException e)
            {
                return e.Status == StatusCode.Unavailable;
            }
        }, "a new call is refused at once instead of waiting on the draining connection");
        Assert.False(held.IsCompleted);
        service.Gate.SetResult();
        await held;
        await stopping;
        await server.DisposeAsync();
    }
}
