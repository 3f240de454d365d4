using System.Buffers;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>Misbehaving peers and handlers must never leak call slots, hang callers, cross replies or crash the process.</summary>
public class RobustnessTests
{
    private static async Task<FrameHeader> ExchangeAsync(Transport.RpcEndpoint endpoint, params (FrameHeader Header, byte[] Body)[] frames)
    {
        using var client = new TcpClient();
        await client.ConnectAsync((System.Net.IPEndPoint)endpoint.EndPoint);
        var stream = client.GetStream();
        var w = new ArrayBufferWriter<byte>();
        foreach (var (h, b) in frames) FrameCodec.Write(w, h, b);
        await stream.WriteAsync(w.WrittenMemory);
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            int n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) throw new IOException("closed before a response");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
            var seq = new ReadOnlySequence<byte>(received.ToArray());
            while (FrameCodec.TryRead(ref seq, 1 << 20, null, out var h, out _))
            {
                if (h.Type == FrameType.Response) return h;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Corrupt_compressed_request_is_InvalidArgument_and_releases_its_slot(byte compression)
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxConcurrentCalls = 2);
        for (int i = 0; i < 5; i++)
        {
            var reply = await ExchangeAsync(f.Server.BoundEndpoints[0],
                (new FrameHeader { Type = FrameType.Request, RequestId = 1, Service = TestService.Name, Method = "Echo", Serializer = 1, Compression = compression },
                 "definitely not compressed data"u8.ToArray()));
            Assert.Equal(StatusCode.InvalidArgument, reply.Status);
        }
        Assert.Equal(0, f.Server.ActiveCalls);
        Assert.Equal("fine", await f.Channel.UnaryAsync(TestService.Echo, "fine"));
    }

    [Fact]
    public async Task Stream_data_for_a_server_streaming_call_cancels_it_and_frees_the_slot()
    {
        await using var f = await ServerFixture.StartAsync();
        var w = new ArrayBufferWriter<byte>();
        MessagePackRpcSerializer.Default.Serialize(w, 1_000_000, MessageTypes.Plain<int>());
        var reply = await ExchangeAsync(f.Server.BoundEndpoints[0],
            (new FrameHeader { Type = FrameType.Request, RequestId = 9, Service = TestService.Name, Method = "Count", Serializer = 1, Kind = CallKind.ServerStreaming, Window = 1 }, w.WrittenSpan.ToArray()),
            (new FrameHeader { Type = FrameType.StreamData, RequestId = 9, Serializer = 1 }, w.WrittenSpan.ToArray()));
        Assert.Equal(StatusCode.InvalidArgument, reply.Status);
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 0);
    }

    [Fact]
    public async Task A_throwing_cancellation_callback_does_not_take_the_server_down()
    {
        var method = new Method<int, string>("Bad", "Wait", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());
        var definition = new ServiceDefinition("Bad").AddUnary(method, async (ms, ctx) =>
        {
            ctx.CancellationToken.Register(() => throw new InvalidOperationException("callback bug"));
            await Task.Delay(ms, ctx.CancellationToken);
            return "done";
        });
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(definition));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await f.Channel.UnaryAsync(method, 10_000, new CallOptions { Timeout = TimeSpan.FromMilliseconds(100) }));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 0);
        Assert.Equal("alive", await f.Channel.UnaryAsync(TestService.Echo, "alive"));
    }

    [Fact]
    public async Task Blocking_on_an_unfinished_call_throws_without_crossing_replies()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.ConnectAsync();
        var pending = f.Channel.UnaryAsync(TestService.Sleep, 300);
        Assert.Throws<InvalidOperationException>(() => pending.GetAwaiter().GetResult());
        var others = Enumerable.Range(0, 200).Select(i => f.Channel.UnaryAsync(TestService.Echo, "e" + i).AsTask()).ToArray();
        var results = await Task.WhenAll(others);
        for (int i = 0; i < results.Length; i++) Assert.Equal("e" + i, results[i]);
        Assert.Equal("slept", await pending);
    }

    [Fact]
    public async Task Oversized_trailers_become_a_status_and_the_connection_survives()
    {
        var method = new Method<string, string>("Big", "Trailers", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
        var definition = new ServiceDefinition("Big").AddUnary(method, (s, ctx) =>
        {
            ctx.ResponseTrailers.Add("huge", new string('x', 100_000));
            return new ValueTask<string>("ok");
        });
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(definition));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(method, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("header", ex.Message);
        Assert.Equal("same connection", await f.Channel.UnaryAsync(TestService.Echo, "same connection"));
        Assert.Equal(1, f.Server.ConnectionCount);

        var tooMuchMetadata = new CallOptions { Headers = new Metadata { { "big", new string('y', 100_000) } } };
        ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x", tooMuchMetadata));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Equal("still", await f.Channel.UnaryAsync(TestService.Echo, "still"));
    }

    [Fact]
    public async Task One_way_handlers_are_cancelled_when_the_drain_times_out()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var method = new Method<string, Empty>("Slow", "Fire", CallKind.OneWay, MessageTypes.Plain<string>(), MessageTypes.Plain<Empty>());
        var definition = new ServiceDefinition("Slow").AddOneWay(method, async (s, ctx) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(60_000, ctx.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
        });
        await using var f = await ServerFixture.StartAsync(server: o => o.DrainTimeout = TimeSpan.FromMilliseconds(200), configure: s => s.AddService(definition));
        await f.Channel.OneWayAsync(method, "go");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, f.Server.ActiveCalls);
        await f.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, f.Server.ActiveCalls);
    }
}
