using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;

namespace Meshwork.Rpc.Tests;

public class KeepAliveTests
{
    [Fact]
    public async Task A_server_that_stops_answering_is_detected_by_heartbeats()
    {
        // A peer that accepts the connection and reads everything but never writes: a hung process.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sink = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[4096];
            try
            {
                while (await socket.ReceiveAsync(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
        });
        try
        {
            await using var channel = RpcChannel.ForAddress($"127.0.0.1:{port}", new RpcClientOptions
            {
                KeepAliveInterval = TimeSpan.FromMilliseconds(100),
                KeepAliveTimeout = TimeSpan.FromMilliseconds(200),
            });
            var ex = await Assert.ThrowsAsync<RpcException>(async () =>
                await channel.UnaryAsync(TestService.Echo, "anyone?").AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(StatusCode.Unavailable, ex.Status);
            Assert.Contains("heartbeat", ex.Message);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Idle_connections_are_closed_by_the_server_and_reopened_on_demand()
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.IdleTimeout = TimeSpan.FromMilliseconds(150));
        Assert.Equal("a", await f.Channel.UnaryAsync(TestService.Echo, "a"));
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ConnectionCount == 0);
        Assert.Equal("b", await f.Channel.UnaryAsync(TestService.Echo, "b"));
    }

    [Fact]
    public async Task Heartbeats_keep_a_quiet_but_healthy_connection_open()
    {
        await using var f = await ServerFixture.StartAsync(client: o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(50);
            o.KeepAliveTimeout = TimeSpan.FromMilliseconds(2000);
        });
        await f.Channel.ConnectAsync();
        await Task.Delay(400);
        Assert.Equal(1, f.Server.ConnectionCount);
        Assert.Equal("still", await f.Channel.UnaryAsync(TestService.Echo, "still"));
        Assert.Equal(1, f.Server.ConnectionCount);
    }
}
