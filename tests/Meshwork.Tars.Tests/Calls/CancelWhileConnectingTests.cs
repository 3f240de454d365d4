using Meshwork.Rpc;
using Meshwork.Tars.Tests.Echo;
using Meshwork.Testing;

namespace Meshwork.Tars.Tests.Calls;

/// <summary>A TARS call cancelled by its caller before it was sent fails with <see cref="StatusCode.Cancelled"/>, like
/// every other way a call can end, not with a bare <see cref="OperationCanceledException"/>.</summary>
public sealed class CancelWhileConnectingTests
{
    [Fact]
    public async Task A_call_cancelled_while_its_connection_is_being_opened_fails_with_Cancelled()
    {
        // A listener that never answers: the connection attempt stays pending (well within the 60 s connect timeout below).
        using var listener = await SilentListener.StartAsync();
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@tcp -h 127.0.0.1 -p {listener.Port} -t 60000",
            new TarsClientOptions { ConnectTimeout = TimeSpan.FromSeconds(60) });
        var client = new EchoClient(channel);
        using var cancel = new CancellationTokenSource();
        var call = client.EchoAsync("x", new CallOptions { Timeout = TimeSpan.FromSeconds(60), CancellationToken = cancel.Token });
        Assert.False(call.IsCompleted);
        await cancel.CancelAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, e.Status);
        Assert.Contains("was cancelled while connecting to", e.Message, StringComparison.Ordinal);
    }
}
