using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

public class CallKindTests
{
    [Fact]
    public async Task Unary_round_trips_over_loopback()
    {
        await using var f = await ServerFixture.StartAsync();
        Assert.Equal("hello", await f.Channel.UnaryAsync(TestService.Echo, "hello"));
        Assert.Equal(3, await f.Channel.UnaryAsync(TestService.Size, new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_connection()
    {
        await using var f = await ServerFixture.StartAsync();
        var tasks = Enumerable.Range(0, 2000).Select(i => f.Channel.UnaryAsync(TestService.Echo, "m" + i).AsTask()).ToArray();
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < results.Length; i++) Assert.Equal("m" + i, results[i]);
        Assert.Equal(1, f.Server.ConnectionCount);
    }

    [Fact]
    public async Task Several_connections_per_endpoint_spread_calls()
    {
        await using var f = await ServerFixture.StartAsync(client: o => o.ConnectionsPerEndpoint = 4);
        var tasks = Enumerable.Range(0, 400).Select(i => f.Channel.UnaryAsync(TestService.Echo, "x").AsTask());
        await Task.WhenAll(tasks);
        Assert.Equal(4, f.Server.ConnectionCount);
    }

    [Fact]
    public async Task One_way_reaches_the_server_without_a_response()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.OneWayAsync(TestService.Notify, "ping");
        Assert.Equal("ping", await f.State.Notified.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Server_streaming_yields_every_item_in_order()
    {
        await using var f = await ServerFixture.StartAsync();
        var items = new List<int>();
        await foreach (var i in f.Channel.ServerStreaming(TestService.Count, 500)) items.Add(i);
        Assert.Equal(Enumerable.Range(0, 500), items);
    }

    [Fact]
    public async Task Server_streaming_is_flow_controlled_by_the_consumer()
    {
        const int window = 8;
        await using var f = await ServerFixture.StartAsync(client: o => o.StreamWindow = window);
        await using var e = f.Channel.ServerStreaming(TestService.Count, 10_000).GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync());
        // The consumer stopped after one item: the server sends one window and produces one more item, which waits
        // for a credit. Without flow control it would have run on towards 10,000.
        await ErrorAndDeadlineTests.WaitUntil(() => Volatile.Read(ref f.State.CountProduced) >= window + 1);
        Assert.Equal(window + 1, Volatile.Read(ref f.State.CountProduced));
        // From then on the producer moves only by the credits the consumer gives back as it drains.
        for (int consumed = 2; consumed <= 200; consumed++)
        {
            Assert.True(await e.MoveNextAsync());
            Assert.InRange(Volatile.Read(ref f.State.CountProduced), consumed, consumed + window + 1);
        }
    }

    [Fact]
    public async Task Client_streaming_sums_all_items()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.StreamWindow = 4);
        Assert.Equal(Enumerable.Range(1, 1000).Sum(x => (long)x), await f.Channel.ClientStreamingAsync(TestService.Sum, Range(1, 1000)));
    }

    [Fact]
    public async Task Duplex_streaming_answers_each_message()
    {
        await using var f = await ServerFixture.StartAsync();
        var replies = new List<string>();
        await foreach (var r in f.Channel.DuplexStreaming(TestService.Chat, Words("a", "b", "c"))) replies.Add(r);
        Assert.Equal(new[] { "re: a", "re: b", "re: c" }, replies);
    }

    [Fact]
    public async Task Unix_domain_socket_endpoint_works()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mw-{Guid.NewGuid():N}.sock");
        var options = new Server.RpcServerOptions { Endpoints = { "unix://" + path } };
        await using var server = new Server.RpcServer(options);
        server.AddService(TestService.Build(new TestService.State()));
        await server.StartAsync();
        await using var channel = Client.RpcChannel.ForAddress("unix://" + path);
        Assert.Equal("uds", await channel.UnaryAsync(TestService.Echo, "uds"));
    }

    internal static async IAsyncEnumerable<int> Range(int start, int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return start + i;
            if (i % 100 == 0) await Task.Yield();
        }
    }

    internal static async IAsyncEnumerable<string> Words(params string[] words)
    {
        foreach (var w in words)
        {
            await Task.Yield();
            yield return w;
        }
    }
}
