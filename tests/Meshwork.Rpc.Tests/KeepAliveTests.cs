using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;

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
    public async Task A_missing_heartbeat_ack_closes_the_connection_and_fails_its_calls()
    {
        // A real server behind a tap that withholds its heartbeat acks and passes everything else: calls are still
        // answered, only the liveness answer is missing.
        await using var f = await ServerFixture.StartAsync();
        await using var tap = FrameTap.Start(f.Server.BoundEndpoints[0], dropToClient: IsHeartbeatAck);
        await using var channel = RpcChannel.ForEndpoint(tap.Endpoint, new RpcClientOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(250),
            // Long enough for a loaded machine to answer the heartbeat (which the tap drops) before the client gives up.
            KeepAliveTimeout = TimeSpan.FromMilliseconds(2000),
        });
        Assert.Equal("up", await channel.UnaryAsync(TestService.Echo, "up"));

        // No deadline: only the heartbeat timeout can end this call.
        var call = channel.UnaryAsync(TestService.Sleep, 600_000).AsTask();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Matches(@"^connection to 127\.0\.0\.1:\d+ was lost before Test/Sleep completed: " +
            @"no heartbeat answer from 127\.0\.0\.1:\d+ within 2000 ms$", ex.Message);
        // The server did answer the heartbeat (the tap dropped it), and it was the client that closed the connection.
        Assert.Contains(tap.ToClient, s => IsHeartbeatAck(s) && s.Dropped);
        await ErrorAndDeadlineTests.WaitUntil(() => tap.ClientHangUps == 1);
        Assert.Equal(StatusCode.Unavailable, await f.State.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ConnectionCount == 0);

        // The next call opens a new connection.
        Assert.Equal("again", await channel.UnaryAsync(TestService.Echo, "again"));
        Assert.Equal(2, tap.Accepted);
    }

    [Fact]
    public async Task Heartbeats_keep_a_quiet_but_healthy_connection_open()
    {
        await using var f = await ServerFixture.StartAsync();
        await using var tap = FrameTap.Start(f.Server.BoundEndpoints[0]);
        await using var channel = RpcChannel.ForEndpoint(tap.Endpoint, new RpcClientOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(25),
            KeepAliveTimeout = TimeSpan.FromMilliseconds(1500),
        });
        await channel.ConnectAsync();
        // A client sends its next heartbeat only once the previous one was acknowledged, and each round starts after
        // KeepAliveInterval of silence, so 70 acknowledged rounds span more than the ack timeout: a client that did not
        // see the acks, or a server that did not send them, would have dropped the connection before the count is
        // reached. The timeout is generous so that a slow ack on a loaded machine is not mistaken for a missing one.
        const int rounds = 70;
        await ErrorAndDeadlineTests.WaitUntil(() => tap.ToClient.Count(IsHeartbeatAck) >= rounds, timeoutMs: 30_000);
        Assert.Equal(0, tap.ClientHangUps);
        Assert.Equal("still", await channel.UnaryAsync(TestService.Echo, "still"));
        Assert.Equal(1, tap.Accepted);
        Assert.Equal(1, f.Server.ConnectionCount);
    }

    private static bool IsHeartbeatAck(FrameTap.Seen frame) => frame.Type == FrameType.Heartbeat && (frame.Flags & FrameFlags.Ack) != 0;
}
