using System.Buffers.Binary;
using System.Net.Sockets;
using Meshwork.Discovery.ZooKeeper.Protocol;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>Unreachable and misbehaving servers give clear errors (the client against loopback peers that break the protocol).</summary>
public sealed class ZooKeeperWireErrorTests
{
    /// <summary>
    /// Resolves through a registry pointed at <paramref name="connectString"/> and returns the error. The request
    /// budget covers waiting for a connection that never comes, so it is short, but long enough that a loaded
    /// machine does not turn a protocol error into a timeout.
    /// </summary>
    private static async Task<(RegistryUnavailableException Error, ZooKeeperException Cause)> ResolveFailsAsync(string connectString,
        ZooKeeperErrorCode expected, TimeSpan? request = null, bool malformed = false)
    {
        await using var registry = new ZooKeeperServiceRegistry(Zk.Options(connectString, request: request ?? TimeSpan.FromSeconds(3)));
        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await registry.ResolveAsync("anything"));
        var cause = Assert.IsType<ZooKeeperException>(error.InnerException);
        Assert.True(cause.Code == expected, error.Message);
        if (malformed) await Eventually.TrueAsync(() => registry.MalformedFrames > 0, "the malformed frame is counted");
        else Assert.Equal(0, registry.MalformedFrames);
        return (error, cause);
    }

    [Fact]
    public async Task An_unreachable_server_is_named_with_the_reason()
    {
        var connect = $"127.0.0.1:{FreePort.TcpAndUdp()}";
        var (error, _) = await ResolveFailsAsync(connect, ZooKeeperErrorCode.ConnectionLoss);
        Assert.Contains($"not connected to any of {connect}", error.Message);
        Assert.Contains("ConnectionRefused", error.Message);
    }

    [Fact]
    public async Task An_absurd_frame_length_is_refused_before_reading_it()
    {
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, 0x7FFF_FFF0);
            await stream.WriteAsync(prefix, ct);
            await FakeZooKeeperPeer.DrainAsync(stream, ct);
        });
        var (error, _) = await ResolveFailsAsync(peer.ConnectString, ZooKeeperErrorCode.ConnectionLoss, malformed: true);
        Assert.Contains("frame claims 2147483632 bytes", error.Message);
        Assert.Contains("MaxPacketSize", error.Message);
    }

    [Fact]
    public async Task A_truncated_handshake_reply_names_the_missing_field()
    {
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            await stream.WriteAsync(new byte[] { 0, 0, 0, 6, 0, 0, 0, 0, 0, 1 }, ct); // protocolVersion, then 2 of timeOut's 4 bytes
            await FakeZooKeeperPeer.DrainAsync(stream, ct);
        });
        var (error, _) = await ResolveFailsAsync(peer.ConnectString, ZooKeeperErrorCode.ConnectionLoss, malformed: true);
        Assert.Contains("malformed ConnectResponse", error.Message);
        Assert.Contains("'timeOut' needs 4 bytes but the frame has 2 left", error.Message);
    }

    [Fact]
    public async Task A_reply_to_a_request_never_sent_fails_it_as_a_protocol_error()
    {
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            await stream.WriteAsync(FakeZooKeeperPeer.GoodConnectResponse(), ct);
            while (true)
            {
                var request = await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
                if (BinaryPrimitives.ReadInt32BigEndian(request) == SpecialXid.Ping) continue;
                using var reply = new JuteWriter();
                reply.WriteInt(99);
                reply.WriteLong(1);
                reply.WriteInt(0);
                await stream.WriteAsync(reply.Frame(), ct);
                await FakeZooKeeperPeer.DrainAsync(stream, ct);
                return;
            }
        });
        var (error, _) = await ResolveFailsAsync(peer.ConnectString, ZooKeeperErrorCode.MarshallingError, TimeSpan.FromSeconds(20), malformed: true);
        Assert.Contains("answered xid 99 but the oldest pending request is 1", error.Message);
    }

    [Fact]
    public async Task A_server_that_never_replies_times_the_request_out()
    {
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            await stream.WriteAsync(FakeZooKeeperPeer.GoodConnectResponse(), ct);
            await FakeZooKeeperPeer.DrainAsync(stream, ct);
        });
        var client = new Client.ZooKeeperClient(Zk.Options(peer.ConnectString, request: TimeSpan.FromMilliseconds(500)),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        // Connected first, so the whole budget is spent waiting for the reply, not for the connection.
        client.Start();
        await Eventually.TrueAsync(() => client.IsConnected, "connected");
        var error = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetChildrenAsync("/meshwork", watch: false, Eventually.Token()));
        Assert.Equal(ZooKeeperErrorCode.RequestTimeout, error.Code);
        Assert.Contains($"GetChildren2 got no reply from {peer.ConnectString} within 500 ms (RequestTimeout)", error.Message);
        Assert.Equal("/meshwork", error.Path);
        // Replies come in order, so the stuck connection is replaced.
        await Eventually.TrueAsync(() => client.Connections >= 2, "a new connection after the timeout");
        await client.AbandonAsync();
    }

    [Fact]
    public async Task A_server_that_drops_every_connection_after_the_handshake_is_not_hammered()
    {
        int accepted = 0;
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            Interlocked.Increment(ref accepted);
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            await stream.WriteAsync(FakeZooKeeperPeer.GoodConnectResponse(), ct);
        });
        // A backoff far longer than the test: after the first short-lived connection, the client must wait it out.
        var options = new ZooKeeperDiscoveryOptions
        {
            ConnectString = peer.ConnectString,
            SessionTimeout = TimeSpan.FromHours(1),
            ReconnectInitial = TimeSpan.FromMinutes(30),
            ReconnectMax = TimeSpan.FromMinutes(30),
            RequestTimeout = TimeSpan.FromSeconds(1),
        };
        var client = new Client.ZooKeeperClient(options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        client.Start();
        await Eventually.TrueAsync(() => client.Connections == 1 && !client.IsConnected, "the first connection came and went");
        var error = await Assert.ThrowsAsync<ZooKeeperException>(() => client.ExistsAsync("/", watch: false, Eventually.Token()));
        Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, error.Code);
        Assert.Equal(1, Volatile.Read(ref accepted));
        await client.AbandonAsync();
    }

    [Fact]
    public async Task Requests_beyond_the_in_flight_limit_are_throttled_at_once()
    {
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            await stream.WriteAsync(FakeZooKeeperPeer.GoodConnectResponse(), ct);
            await FakeZooKeeperPeer.DrainAsync(stream, ct);
        });
        var options = Zk.Options(peer.ConnectString, request: TimeSpan.FromSeconds(20));
        options.MaxInFlightRequests = 2;
        var client = new Client.ZooKeeperClient(options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        // Connected first, so the three requests are sent in call order (no continuation race on the connection).
        client.Start();
        await Eventually.TrueAsync(() => client.IsConnected, "connected");
        var first = client.ExistsAsync("/a", watch: false, Eventually.Token());
        var second = client.ExistsAsync("/b", watch: false, Eventually.Token());
        var third = await Assert.ThrowsAsync<ZooKeeperException>(() => client.ExistsAsync("/c", watch: false, Eventually.Token()));
        Assert.Equal(ZooKeeperErrorCode.Throttled, third.Code);
        Assert.Contains("2 requests already in flight", third.Message);
        Assert.Equal("/c", third.Path);
        Assert.False(first.IsCompleted || second.IsCompleted);
        await client.AbandonAsync(); // this peer never answers a closeSession
    }

    [Fact]
    public async Task A_server_reporting_the_session_expired_gets_a_new_session_request()
    {
        // The first handshake (resuming session 0x77) is answered "expired" (timeout 0); the client must then ask for
        // a new session (session id 0) on the same server.
        var sessionsAsked = new List<long>();
        await using var peer = new FakeZooKeeperPeer(async (stream, ct) =>
        {
            var request = await FakeZooKeeperPeer.ReadFrameAsync(stream, ct);
            long asked = BinaryPrimitives.ReadInt64BigEndian(request.AsSpan(16));
            lock (sessionsAsked) sessionsAsked.Add(asked);
            if (asked == 0x77)
            {
                using var expired = new JuteWriter();
                expired.WriteInt(0);
                expired.WriteInt(0);
                expired.WriteLong(0);
                expired.WriteBuffer(new byte[16]);
                await stream.WriteAsync(expired.Frame(), ct);
                return;
            }
            await stream.WriteAsync(FakeZooKeeperPeer.GoodConnectResponse(), ct);
            await FakeZooKeeperPeer.DrainAsync(stream, ct);
        });
        var client = new Client.ZooKeeperClient(Zk.Options(peer.ConnectString), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            0x77, new byte[16]);
        client.Start();
        await Eventually.TrueAsync(() => client.IsConnected, "connected");
        Assert.Equal(1, client.Expirations);
        Assert.Equal(0x1234, client.SessionId);
        lock (sessionsAsked) Assert.Equal([0x77L, 0L], sessionsAsked);
        await client.AbandonAsync(); // this peer never answers a closeSession
    }

    [Fact]
    public async Task An_oversized_record_is_refused_before_it_is_sent()
    {
        await using var registry = new ZooKeeperServiceRegistry(Zk.Options($"127.0.0.1:{FreePort.TcpAndUdp()}"));
        var huge = new ServiceInstance("zk-huge", "127.0.0.1:1") { Metadata = new Dictionary<string, string> { ["blob"] = new string('x', 1_100_000) } };
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await registry.RegisterAsync(huge));
        Assert.Contains("1000000-byte limit", error.Message);
    }
}
