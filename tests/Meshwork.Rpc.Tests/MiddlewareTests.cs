using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

public class MiddlewareTests
{
    private sealed class Recorder(string name, List<string> log) : IServerMiddleware, IClientMiddleware
    {
        public async ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            lock (log) log.Add($"{name}>");
            await next(context);
            lock (log) log.Add($"<{name}:{context.Response}");
        }

        public async ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            lock (log) log.Add($"{name}>");
            context.Headers.Set("x-" + name, "1");
            await next(context);
            lock (log) log.Add($"<{name}:{context.Response}");
        }
    }

    private sealed class AuthMiddleware : IServerMiddleware
    {
        public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            if (context.RequestHeaders?["authorization"] != "Bearer good")
            {
                throw new RpcException(StatusCode.Unauthenticated, "missing or bad bearer token");
            }
            return next(context);
        }
    }

    private sealed class CacheMiddleware : IServerMiddleware
    {
        public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            if (context.Method == "Echo" && (string?)context.Request == "cached")
            {
                context.Response = "from cache";
                return ValueTask.CompletedTask;
            }
            return next(context);
        }
    }

    private sealed class RewriteMiddleware : IServerMiddleware
    {
        public async ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
        {
            if (context.Request is string s) context.Request = s.ToUpperInvariant();
            await next(context);
            if (context.Response is string r) context.Response = r + "!";
        }
    }

    [Fact]
    public async Task Server_and_client_middleware_run_in_registration_order_and_observe_results()
    {
        var log = new List<string>();
        await using var f = await ServerFixture.StartAsync(
            configure: s => s.Use(new Recorder("s1", log)).Use(new Recorder("s2", log)),
            client: o =>
            {
                o.Middleware.Add(new Recorder("c1", log));
                o.Middleware.Add(new Recorder("c2", log));
            });
        Assert.Equal("hi", await f.Channel.UnaryAsync(TestService.Echo, "hi"));
        Assert.Equal(new[] { "c1>", "c2>", "s1>", "s2>", "<s2:hi", "<s1:hi", "<c2:hi", "<c1:hi" }, log);
    }

    [Fact]
    public async Task Middleware_headers_reach_the_handler()
    {
        var log = new List<string>();
        await using var f = await ServerFixture.StartAsync(client: o => o.Middleware.Add(new Recorder("c1", log)));
        Assert.Equal("1", await f.Channel.UnaryAsync(TestService.Headers, "x-c1"));
        var headers = new Metadata { { "tenant", "acme" } };
        Assert.Equal("acme", await f.Channel.UnaryAsync(TestService.Headers, "tenant", new CallOptions { Headers = headers }));
    }

    [Fact]
    public async Task Middleware_can_reject_and_short_circuit()
    {
        await using var f = await ServerFixture.StartAsync(configure: s => s.Use(new AuthMiddleware()).Use(new CacheMiddleware()));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        var auth = new CallOptions { Headers = new Metadata { { "authorization", "Bearer good" } } };
        Assert.Equal("x", await f.Channel.UnaryAsync(TestService.Echo, "x", auth));
        Assert.Equal("from cache", await f.Channel.UnaryAsync(TestService.Echo, "cached", auth));
    }

    [Fact]
    public async Task Middleware_can_rewrite_request_and_response()
    {
        await using var f = await ServerFixture.StartAsync(configure: s => s.Use(new RewriteMiddleware()));
        Assert.Equal("ABC!", await f.Channel.UnaryAsync(TestService.Echo, "abc"));
    }

    [Fact]
    public async Task Middleware_wraps_streaming_and_one_way_calls_too()
    {
        var log = new List<string>();
        await using var f = await ServerFixture.StartAsync(configure: s => s.Use(new Recorder("s", log)), client: o => o.Middleware.Add(new Recorder("c", log)));
        var items = new List<int>();
        await foreach (var i in f.Channel.ServerStreaming(TestService.Count, 3)) items.Add(i);
        Assert.Equal(3, items.Count);
        Assert.Equal(6, await f.Channel.ClientStreamingAsync(TestService.Sum, CallKindTests.Range(1, 3)));
        await f.Channel.OneWayAsync(TestService.Notify, "n");
        await f.State.Notified.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await ErrorAndDeadlineTests.WaitUntil(() => { lock (log) return log.Count(l => l.StartsWith("<s")) == 3; });
        lock (log)
        {
            Assert.Equal(3, log.Count(l => l == "s>"));
            Assert.Equal(3, log.Count(l => l == "c>"));
        }
    }
}
