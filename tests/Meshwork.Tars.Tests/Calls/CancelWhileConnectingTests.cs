using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Calls;

/// <summary>A TARS call cancelled by its caller before it was sent fails with <see cref="StatusCode.Cancelled"/>, like
/// every other way a call can end, not with a bare <see cref="OperationCanceledException"/>.</summary>
public sealed class CancelWhileConnectingTests
{
    [Fact]
    public async Task A_call_cancelled_while_its_connection_is_being_opened_fails_with_Cancelled()
    {
        // A listener whose accept queue is full and never drained: the kernel answers no further handshake, so a
        // connection attempt to it stays pending (well within the 60 s connect timeout below).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        var pending = new List<Task>();
        for (int i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            pending.Add(filler.ConnectAsync(IPAddress.Loopback, port));
        }
        try
        {
            await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@tcp -h 127.0.0.1 -p {port} -t 60000",
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
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
            await Task.WhenAll(pending.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }
}
