using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Transport;

/// <summary>Meshwork TARS client and server over a udp endpoint: one request per datagram, replies matched by id.</summary>
public sealed class UdpTests
{
    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.TupComplex, TarsVersion.Tup };

    private static async Task<(TarsServer Server, EchoService Service, string Proxy)> StartAsync(TarsServerOptions? options = null, int idleMs = 60000)
    {
        var service = new EchoService();
        var server = new TarsServer(options).AddService(service.Definition());
        var endpoint = await server.StartAsync($"udp -h 127.0.0.1 -p 0 -t {idleMs}");
        Assert.Equal(TarsTransport.Udp, endpoint.Transport);
        return (server, service, $"{EchoService.ObjectName}@{endpoint}");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Every_function_round_trips_over_udp(short version)
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy, new TarsClientOptions { Version = version });
        var client = new EchoClient(channel);
        Assert.Equal("héllo 世界", await client.EchoAsync("héllo 世界"));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        var back = await client.MirrorAsync(new Pair { A = 7, S = "hi", Big = 1234567890123, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal(8, back.A);
        Assert.Equal(new byte[] { 3, 2, 1 }, back.Raw);
        Assert.Equal([0, 1, 2], await client.RangeAsync(3));
        await client.PingAsync();
        var fail = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
        // Many calls in flight on one socket: replies come back in any order and are matched by request id.
        var sums = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.AddAsync(i, 1)));
        for (int i = 0; i < sums.Length; i++) Assert.Equal(i + 1, sums[i].Sum);
        Assert.Equal(1, server.ConnectionCount); // one UDP peer: the client's socket
    }

    [Fact]
    public async Task One_way_calls_over_udp_reach_the_handler()
    {
        var (server, service, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        await new EchoClient(channel).EchoOneWayAsync("one-way over udp");
        await Eventually.TrueAsync(() => service.Echoed.Contains("one-way over udp"), "the one-way datagram reached the handler");
    }

    [Fact]
    public async Task A_request_too_large_for_one_datagram_fails_before_anything_is_sent()
    {
        var (server, service, proxy) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(channel).EchoAsync(new string('x', 70_000)));
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        Assert.Contains("MaxUdpDatagramSize", e.Message, StringComparison.Ordinal);
        Assert.Empty(service.Echoed);

        await using var small = TarsChannel.ForProxy(proxy, new TarsClientOptions { MaxUdpDatagramSize = 200 });
        e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(small).EchoAsync(new string('x', 300)));
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        Assert.Equal("fits", await new EchoClient(small).EchoAsync("fits"));
    }

    [Fact]
    public async Task A_reply_too_large_for_one_datagram_is_answered_with_an_encode_error()
    {
        var (server, _, proxy) = await StartAsync(new TarsServerOptions { MaxDatagramSize = 2000 });
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        var client = new EchoClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.RangeAsync(1000));
        Assert.Equal(TarsReturnCode.ServerEncodeError, e.GetTarsReturnCode());
        Assert.Contains("MaxDatagramSize", e.Message, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 10), await client.RangeAsync(10));
    }

    [Fact]
    public async Task A_lost_reply_ends_in_the_call_timeout()
    {
        // A bound socket that never answers: the datagram is delivered and dropped, as a lossy network would.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.ReceiveTimeout = 30_000;
        int port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@udp -h 127.0.0.1 -p {port} -t 60000");
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(channel).EchoAsync("lost", new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        Assert.Equal(TarsReturnCode.InvokeTimeout, e.GetTarsReturnCode());
        Assert.Contains("udp -h 127.0.0.1", e.Message, StringComparison.Ordinal);
        var buffer = new byte[65536];
        int n = silent.Receive(buffer);
        Assert.Equal(n, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(buffer)); // one frame, with its length prefix
    }

    [Fact]
    public async Task Malformed_datagrams_are_counted_and_dropped_and_the_peer_keeps_working()
    {
        var (server, _, proxy) = await StartAsync();
        await using var _s = server;
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Connect(IPAddress.Loopback, server.Endpoint!.Port);
        raw.Send([0, 0, 0, 99, 1, 2, 3]);                    // declares 99 bytes, carries 7
        raw.Send([0, 0, 0, 2]);                              // shorter than any frame
        raw.Send([0, 0, 0, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); // right length, undecodable body
        await Eventually.TrueAsync(() => server.MalformedFrames == 3, "three malformed datagrams counted");
        await using var channel = TarsChannel.ForProxy(proxy);
        Assert.Equal("still fine", await new EchoClient(channel).EchoAsync("still fine"));
    }

    [Fact]
    public async Task Idle_udp_peers_are_forgotten_after_the_endpoint_timeout()
    {
        var (server, _, proxy) = await StartAsync(idleMs: 200);
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);
        Assert.Equal("x", await new EchoClient(channel).EchoAsync("x"));
        // (Not asserting the peer count right here: on a loaded machine 200 ms may already have passed.)
        await Eventually.TrueAsync(() => server.ConnectionCount == 0, "the idle UDP peer was dropped");
        Assert.Equal("y", await new EchoClient(channel).EchoAsync("y"));
    }

    [Fact]
    public async Task New_udp_peers_beyond_max_connections_are_not_served()
    {
        var (server, _, proxy) = await StartAsync(new TarsServerOptions { MaxConnections = 1 });
        await using var _s = server;
        await using var first = TarsChannel.ForProxy(proxy);
        Assert.Equal("a", await new EchoClient(first).EchoAsync("a"));
        await using var second = TarsChannel.ForProxy(proxy);
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(second).EchoAsync("b", new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
    }
}
