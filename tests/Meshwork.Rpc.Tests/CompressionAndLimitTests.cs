using Meshwork.Rpc.Client;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

public class CompressionAndLimitTests
{
    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task Requested_compression_round_trips(string algorithm)
    {
        await using var f = await ServerFixture.StartAsync();
        var payload = new byte[200_000];
        Assert.Equal(payload.Length, await f.Channel.UnaryAsync(TestService.Size, payload, new CallOptions { Compression = algorithm }));
    }

    [Fact]
    public async Task Bodies_over_the_threshold_are_compressed_automatically_and_fit_the_frame()
    {
        // 3 MiB of zeros is over the 2 MiB threshold and compresses far below the 4 MiB frame limit.
        await using var f = await ServerFixture.StartAsync();
        Assert.Equal(3 * 1024 * 1024, await f.Channel.UnaryAsync(TestService.Size, new byte[3 * 1024 * 1024]));
        // Same on the way back: the server's reply is auto-compressed.
        var blob = await f.Channel.UnaryAsync(TestService.Blob, 5 * 1024 * 1024);
        Assert.Equal(5 * 1024 * 1024, blob.Length);
    }

    [Fact]
    public async Task Request_bodies_over_the_threshold_travel_compressed()
    {
        await using var f = await ServerFixture.StartAsync();
        await using var tap = FrameTap.Start(f.Server.BoundEndpoints[0]);
        await using var channel = RpcChannel.ForEndpoint(tap.Endpoint);
        // 5 MiB is over the 2 MiB threshold and over the 4 MiB frame limit: it can only be sent compressed.
        const int large = 5 * 1024 * 1024;
        Assert.Equal(large, await channel.UnaryAsync(TestService.Size, new byte[large]));
        // 1 MiB is under the threshold and is sent as it is.
        const int small = 1024 * 1024;
        Assert.Equal(small, await channel.UnaryAsync(TestService.Size, new byte[small]));

        var requests = tap.ToServer.Where(s => s.Type == FrameType.Request).ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(CompressionIds.Gzip, requests[0].Compression);
        Assert.InRange(requests[0].FrameBytes, 1, FrameLayout.DefaultMaxFrameSize);
        Assert.Equal(CompressionIds.None, requests[1].Compression);
        Assert.True(requests[1].FrameBytes > small, $"an uncompressed 1 MiB body travels whole ({requests[1].FrameBytes} bytes)");
    }

    [Fact]
    public async Task Body_still_over_the_limit_after_compression_fails_clearly()
    {
        await using var f = await ServerFixture.StartAsync();
        var noise = new byte[5 * 1024 * 1024];
        new Random(7).NextBytes(noise);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Size, noise));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("4194304-byte frame limit", ex.Message);
        Assert.Contains("gzip", ex.Message);
        // Nothing was sent and the connection is fine.
        Assert.Equal("ok", await f.Channel.UnaryAsync(TestService.Echo, "ok"));
    }

    [Fact]
    public async Task Server_reply_over_the_limit_becomes_a_status_not_a_broken_connection()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.Compression.AutoCompressThreshold = int.MaxValue);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Blob, 5 * 1024 * 1024));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Equal("ok", await f.Channel.UnaryAsync(TestService.Echo, "ok"));
    }

    [Fact]
    public async Task Decompression_bombs_are_stopped_at_the_message_limit()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxMessageSize = o.MaxFrameSize);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await f.Channel.UnaryAsync(TestService.Size, new byte[40 * 1024 * 1024], new CallOptions { Compression = "gzip" }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("MaxMessageSize", ex.Message);
    }

    [Fact]
    public async Task Unknown_compression_name_is_InvalidArgument()
    {
        await using var f = await ServerFixture.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x", new CallOptions { Compression = "lz4" }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
        Assert.Contains("lz4", ex.Message);
    }
}
