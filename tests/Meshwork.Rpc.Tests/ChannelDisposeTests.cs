using Meshwork.Rpc.Client;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// IAsyncDisposable requires later dispose calls to be ignored: a channel disposed explicitly inside
/// <c>await using</c> is disposed twice.
/// </summary>
public class ChannelDisposeTests
{
    [Fact]
    public async Task Disposing_a_channel_twice_is_harmless()
    {
        await using var f = await ServerFixture.StartAsync();
        var channel = RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0]);
        Assert.Equal("x", await channel.UnaryAsync(TestService.Echo, "x"));
        await channel.DisposeAsync();
        await channel.DisposeAsync();
        channel.Dispose();
    }
}
