using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

/// <summary>Misbehaving peers over raw sockets: the server explains, closes that connection only, and keeps serving others.</summary>
public class ProtocolErrorTests
{
    private static async Task<(FrameHeader Header, bool Closed)> SendRawAsync(Transport.RpcEndpoint endpoint, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync((System.Net.IPEndPoint)endpoint.EndPoint);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        var seq = new ReadOnlySequence<byte>(received.ToArray());
        Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var header, out _), "expected an error frame before close");
        return (header, true);
    }

    [Fact]
    public async Task Bad_magic_gets_an_error_frame_and_the_server_keeps_serving()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.ConnectAsync();
        var (header, closed) = await SendRawAsync(f.Server.BoundEndpoints[0], "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.True(closed);
        Assert.Equal(FrameType.Error, header.Type);
        Assert.Contains("bad magic", header.StatusMessage);
        // The good client's connection is unaffected.
        Assert.Equal("still here", await f.Channel.UnaryAsync(TestService.Echo, "still here"));
    }

    [Fact]
    public async Task Oversized_frame_gets_ResourceExhausted_error_frame()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxFrameSize = 64 * 1024);
        var prefix = new byte[12];
        prefix[0] = (byte)'M'; prefix[1] = (byte)'W'; prefix[2] = 1; prefix[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(4), 10_000_000);
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(8), 8);
        var (header, _) = await SendRawAsync(f.Server.BoundEndpoints[0], prefix);
        Assert.Equal(FrameType.Error, header.Type);
        Assert.Equal(StatusCode.ResourceExhausted, header.Status);
        Assert.Contains("65536", header.StatusMessage);
    }

    [Fact]
    public async Task Wrong_version_and_garbled_header_are_explained()
    {
        await using var f = await ServerFixture.StartAsync();
        var w = new ArrayBufferWriter<byte>();
        FrameCodec.Write(w, new FrameHeader { Type = FrameType.Heartbeat }, default);
        var bytes = w.WrittenSpan.ToArray();
        bytes[2] = 7;
        var (header, _) = await SendRawAsync(f.Server.BoundEndpoints[0], bytes);
        Assert.Contains("version 7", header.StatusMessage);

        var garbled = new byte[12 + 3];
        garbled[0] = (byte)'M'; garbled[1] = (byte)'W'; garbled[2] = 1; garbled[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(garbled.AsSpan(4), 4 + 3);
        BinaryPrimitives.WriteUInt32BigEndian(garbled.AsSpan(8), 3);
        garbled[12] = 0x91; garbled[13] = 0xC1; garbled[14] = 0x00; // an array where a map belongs
        (header, _) = await SendRawAsync(f.Server.BoundEndpoints[0], garbled);
        Assert.Equal(FrameType.Error, header.Type);
        Assert.Contains("header", header.StatusMessage);
    }

    [Fact]
    public async Task Heartbeat_is_answered_without_touching_middleware()
    {
        var seen = 0;
        await using var f = await ServerFixture.StartAsync(configure: s => s.Use(new CountingMiddleware(() => Interlocked.Increment(ref seen))));
        using var client = new TcpClient();
        await client.ConnectAsync((System.Net.IPEndPoint)f.Server.BoundEndpoints[0].EndPoint);
        var stream = client.GetStream();
        var w = new ArrayBufferWriter<byte>();
        FrameCodec.Write(w, new FrameHeader { Type = FrameType.Heartbeat }, default);
        await stream.WriteAsync(w.WrittenMemory);
        var buffer = new byte[64];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var seq = new ReadOnlySequence<byte>(buffer, 0, n);
        Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var reply, out _));
        Assert.Equal(FrameType.Heartbeat, reply.Type);
        Assert.Equal(FrameFlags.Ack, reply.Flags);
        Assert.Equal(0, seen);
    }

    [Fact]
    public async Task Connection_limit_is_enforced_with_an_explanation()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxConnections = 1);
        await f.Channel.ConnectAsync();
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ConnectionCount == 1);
        await using var second = Client.RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0]);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await second.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Contains("MaxConnections", ex.Message);
    }

    private sealed class CountingMiddleware(Action onCall) : Server.IServerMiddleware
    {
        public ValueTask InvokeAsync(Server.ServerCallContext context, Server.ServerCallHandler next)
        {
            onCall();
            return next(context);
        }
    }
}
