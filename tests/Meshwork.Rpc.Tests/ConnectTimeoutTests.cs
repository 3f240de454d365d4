using Meshwork.Rpc.Client;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// RpcClientOptions.ConnectTimeout: a connect that cannot complete (the listener's accept queue is full, so the
/// kernel leaves the attempt pending) ends with Unavailable, and a call waiting for it is marked as not executed, on
/// both connect paths: the asynchronous one and the blocking one of a reader thread.
/// </summary>
public class ConnectTimeoutTests
{
    [Theory]
    [InlineData(0)]  // asynchronous connect
    [InlineData(16)] // blocking connect on a thread of its own (the default)
    public async Task A_call_whose_connect_stays_pending_fails_Unavailable_and_not_executed_at_the_connect_timeout(int readerThreads)
    {
        using var listener = await SilentListener.StartAsync();
        await using var channel = RpcChannel.ForAddress($"127.0.0.1:{listener.Port}", new RpcClientOptions
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            ReaderThreads = readerThreads,
        });
        // The call has no deadline of its own: only the connect timeout can end it.
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestService.Echo, "x").AsTask().WaitAsync(Eventually.Timeout));
        Assert.Equal(StatusCode.Unavailable, error.Status);
        Assert.True(error.NotExecuted, "a call that never had a connection did not run");
        Assert.Contains("timed out after 300 ms", error.Message, StringComparison.Ordinal);
    }
}
