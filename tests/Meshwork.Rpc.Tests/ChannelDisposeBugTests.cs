using Meshwork.Rpc.Client;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Known bug, reported rather than fixed (src/Meshwork.Rpc is being changed by another engineer): a second
/// <see cref="RpcChannel.DisposeAsync"/> throws ObjectDisposedException (ConnectionPool.DisposeAsync cancels its
/// CancellationTokenSource after the first call disposed it), where IAsyncDisposable requires later calls to be
/// ignored; it shows as soon as a test disposes a channel explicitly inside <c>await using</c>. Explicit so that it
/// stays out of the normal run until fixed; run it with
/// <c>dotnet test tests/Meshwork.Rpc.Tests -c Release --no-build --filter "FullyQualifiedName~ChannelDisposeBugTests" -- --explicit on</c>.
/// Once the fix lands, drop <c>Explicit</c>.
/// </summary>
public class ChannelDisposeBugTests
{
    [Fact(Explicit = true)]
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
