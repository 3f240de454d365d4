using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
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

    /// <summary>A service whose <c>Hold</c> calls wait until the test lets them go; <c>Quick</c> answers at once.</summary>
    private sealed class Holding
    {
        public static readonly Method<string, string> Hold = new("slow", "Hold", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
        public static readonly Method<string, string> Quick = new("slow", "Quick", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

        private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;

        public int Inside => Volatile.Read(ref _inside);

        public ServiceDefinition Definition => new ServiceDefinition("slow")
            .AddUnary(Hold, async (s, _) =>
            {
                Interlocked.Increment(ref _inside);
                try
                {
                    await _release.Task;
                    return s;
                }
                finally
                {
                    Interlocked.Decrement(ref _inside);
                }
            })
            .AddUnary(Quick, (s, _) => new ValueTask<string>(s));

        /// <summary>Lets every held call finish; later calls are held again.</summary>
        public void ReleaseAll() => Interlocked.Exchange(ref _release, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>A server with the <see cref="Holding"/> service behind the middleware, and a channel to it.</summary>
    private sealed record Bulkheaded(TestServer Server, ServerRateLimitMiddleware Limits, Holding Holding, RpcChannel Channel) : IAsyncDisposable
    {
        public static async Task<Bulkheaded> StartAsync(Action<ServerRateLimitOptions> configure)
        {
            var options = new ServerRateLimitOptions();
            configure(options);
            var holding = new Holding();
            var server = new TestServer("bulkhead", holding.Definition);
            var limits = new ServerRateLimitMiddleware(options);
            server.Server.Use(limits);
            await server.Server.StartAsync();
            return new Bulkheaded(server, limits, holding, RpcChannel.ForAddress(server.Address));
        }

        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await Server.DisposeAsync();
            await Limits.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_method_at_its_concurrency_limit_refuses_one_more_call_at_once_and_takes_calls_again_when_one_ends()
    {
        await using var fixture = await Bulkheaded.StartAsync(o => o.MaxConcurrentByMethod["slow/Hold"] = 2);
        var (server, limits, holding, channel) = fixture;

        var held = new[] { channel.UnaryAsync(Holding.Hold, "a").AsTask(), channel.UnaryAsync(Holding.Hold, "b").AsTask() };
        await Eventually.TrueAsync(() => holding.Inside == 2, "two calls are inside the handler");

        // One more is refused at once, naming the limit; the handler never sees it.
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Hold, "c"));
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains("concurrency limit of method slow/Hold (at most 2 at once) exceeded", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, holding.Inside);
        Assert.Equal(1, limits.Rejected);
        // Another method of the same service is not limited.
        Assert.Equal("q", await channel.UnaryAsync(Holding.Quick, "q"));

        // The held calls end; their slots are free again.
        holding.ReleaseAll();
        Assert.Equal(["a", "b"], await Task.WhenAll(held));
        var again = new[] { channel.UnaryAsync(Holding.Hold, "d").AsTask(), channel.UnaryAsync(Holding.Hold, "e").AsTask() };
        await Eventually.TrueAsync(() => holding.Inside == 2, "two new calls are inside the handler");
        holding.ReleaseAll();
        Assert.Equal(["d", "e"], await Task.WhenAll(again));
        Assert.Equal(1, limits.Rejected);
    }

    [Fact]
    public async Task A_service_limit_counts_every_method_of_the_service()
    {
        await using var fixture = await Bulkheaded.StartAsync(o => o.MaxConcurrentByService["slow"] = 1);
        var (server, _, holding, channel) = fixture;

        var held = channel.UnaryAsync(Holding.Hold, "a").AsTask();
        await Eventually.TrueAsync(() => holding.Inside == 1, "a call is inside the handler");
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Quick, "q"));
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains("concurrency limit of service slow (at most 1 at once) exceeded", refused.Message, StringComparison.Ordinal);
        // Other services are not counted.
        Assert.Equal(server.Name, await channel.UnaryAsync(Echo.Who, "x"));
        holding.ReleaseAll();
        Assert.Equal("a", await held);
        Assert.Equal("q", await channel.UnaryAsync(Holding.Quick, "q"));
    }

    [Fact]
    public async Task A_reload_changes_a_concurrency_limit_for_the_calls_already_in_flight_too()
    {
        await using var fixture = await Bulkheaded.StartAsync(o => o.MaxConcurrentByMethod["slow/Hold"] = 2);
        var (_, limits, holding, channel) = fixture;
        var held = new List<Task<string>> { channel.UnaryAsync(Holding.Hold, "a").AsTask(), channel.UnaryAsync(Holding.Hold, "b").AsTask() };
        await Eventually.TrueAsync(() => holding.Inside == 2, "two calls are inside the handler");

        // Raised to 3: the two in flight still count, so exactly one more gets in.
        var raised = new ServerRateLimitOptions();
        raised.MaxConcurrentByMethod["slow/Hold"] = 3;
        limits.Reconfigure(raised);
        held.Add(channel.UnaryAsync(Holding.Hold, "c").AsTask());
        await Eventually.TrueAsync(() => holding.Inside == 3, "a third call is inside the handler");
        await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Hold, "d"));

        // Lowered to 1: nothing new gets in while three run; once they end, one does.
        var lowered = new ServerRateLimitOptions();
        lowered.MaxConcurrentByMethod["slow/Hold"] = 1;
        limits.Reconfigure(lowered);
        await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Hold, "e"));
        holding.ReleaseAll();
        Assert.Equal(["a", "b", "c"], await Task.WhenAll(held));
        var one = channel.UnaryAsync(Holding.Hold, "f").AsTask();
        await Eventually.TrueAsync(() => holding.Inside == 1, "one call is inside the handler");
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Hold, "g"));
        Assert.Contains("at most 1 at once", refused.Message, StringComparison.Ordinal);

        // Removed: no limit any more.
        limits.Reconfigure(new ServerRateLimitOptions());
        var free = channel.UnaryAsync(Holding.Hold, "h").AsTask();
        await Eventually.TrueAsync(() => holding.Inside == 2, "a second call gets in once the limit is gone");
        holding.ReleaseAll();
        Assert.Equal(["f", "h"], await Task.WhenAll(one, free));
    }

    [Fact]
    public async Task A_server_stream_holds_its_slot_until_the_stream_ends()
    {
        var options = new ServerRateLimitOptions();
        options.MaxConcurrentByMethod["echo/Stream"] = 1;
        var (server, limits) = await StartAsync(options);
        await using var _ = server;
        await using var __ = limits;
        await using var channel = RpcChannel.ForAddress(server.Address);

        // A stream that sends one item and then stays open until cancelled.
        using var stop = new CancellationTokenSource();
        var open = channel.ServerStreaming(Echo.Stream, -1, new CallOptions { CancellationToken = stop.Token }).GetAsyncEnumerator();
        Assert.True(await open.MoveNextAsync());

        var second = channel.ServerStreaming(Echo.Stream, 2).GetAsyncEnumerator();
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await second.MoveNextAsync());
        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains("concurrency limit of method echo/Stream", refused.Message, StringComparison.Ordinal);
        await second.DisposeAsync();

        // The open stream ends (cancelled); its slot is free again.
        stop.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(async () => { while (await open.MoveNextAsync()) { } });
        await open.DisposeAsync();
        // The slot is returned once the stream's handler has ended on the server, which the client does not wait for.
        var items = new List<int>();
        await Eventually.TrueAsync(async () =>
        {
            items.Clear();
            try
            {
                await foreach (var item in channel.ServerStreaming(Echo.Stream, 2)) items.Add(item);
                return true;
            }
            catch (RpcException e) when (e.Status == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, "a new stream gets the slot of the cancelled one");
        Assert.Equal([0, 1], items);
    }

    [Fact]
    public async Task A_call_refused_for_concurrency_spends_no_rate_token()
    {
        await using var fixture = await Bulkheaded.StartAsync(o =>
        {
            o.MaxConcurrentByMethod["slow/Hold"] = 1;
            o.Methods["slow/Hold"] = new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 2 };
        });
        var (_, limits, holding, channel) = fixture;
        var held = channel.UnaryAsync(Holding.Hold, "a").AsTask(); // the first of two rate tokens, and the one slot
        await Eventually.TrueAsync(() => holding.Inside == 1, "a call is inside the handler");
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(Holding.Hold, "b"));
        Assert.Contains("concurrency limit", refused.Message, StringComparison.Ordinal);
        holding.ReleaseAll();
        Assert.Equal("a", await held);
        // The second token is still there: the refused call did not take it.
        var next = channel.UnaryAsync(Holding.Hold, "c").AsTask();
        await Eventually.TrueAsync(() => holding.Inside == 1 || next.IsFaulted, "the next call gets in");
        holding.ReleaseAll();
        Assert.Equal("c", await next);
        Assert.Equal(1, limits.Rejected);
    }

    [Fact]
    public void A_concurrency_limit_below_one_names_the_setting()
    {
        var options = new ServerRateLimitOptions();
        options.MaxConcurrentByMethod["slow/Hold"] = 0;
        var e = Assert.Throws<ArgumentException>(() => new ServerRateLimitMiddleware(options));
        Assert.Contains("ServerRateLimitOptions.MaxConcurrentByMethod[slow/Hold] must be at least 1", e.Message, StringComparison.Ordinal);
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
