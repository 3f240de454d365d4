using System.Net.Sockets;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Server;

/// <summary>
/// Raw bytes against the Meshwork TARS server: the Node client's captured requests get byte-identical replies to the Node
/// server's (spec §7.4.1), and hostile frames close the connection without hurting the server.
/// </summary>
public sealed class RawFrameTests : IAsyncLifetime
{
    private readonly EchoService _service = new();
    private TarsServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = new TarsServer(new TarsServerOptions { MaxPacketSize = 64 * 1024 }).AddService(_service.Definition());
        await _server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", _server.Endpoint!.Port);
        return socket;
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var prefix = new byte[4];
        await socket.ReceiveAsync(prefix.AsMemory(), SocketFlags.None, timeout.Token);
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix);
        var frame = new byte[length];
        prefix.CopyTo(frame, 0);
        int read = 4;
        while (read < length) read += await socket.ReceiveAsync(frame.AsMemory(read), SocketFlags.None, timeout.Token);
        return frame;
    }

    /// <summary>True when the server closed the connection (a read returns 0 bytes or fails).</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, timeout.Token) == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData( // echo("hello")
        "0000003f10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66046563686f7d000007160568656c6c6f810bb8980ca80c",
        "0000001c10012c30024c5c6d000007060568656c6c6f780c8600980c")]
    [InlineData( // add(2, 40): ret 0 at tag 0, sum 42 at tag 3
        "0000003b10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66036164647d00000410022028810bb8980ca80c",
        "0000001810012c30024c5c6d0000030c302a780c8600980c")]
    [InlineData( // mirror(Pair)
        "0000005b10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66066d6972726f727d0000211a000716026869230000011f71fb04cb3d00000301020348000106016b1601760b810bb8980ca80c",
        "0000003610012c30024c5c6d0000210a000816026869230000011f71fb04cb3d00000303020148000106016b1601760b780c8600980c")]
    public async Task Replies_to_the_node_clients_captured_requests_are_byte_identical_to_the_node_servers(string request, string reply)
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(Hex.Bytes(request));
        Assert.Equal(reply, Hex.Of(await ReadFrameAsync(socket)));
    }

    [Fact]
    public async Task A_one_way_request_gets_no_reply_at_all()
    {
        using var socket = await ConnectAsync();
        // The Node client's captured one-way echo("one-way"), then a normal echo("hello") on the same connection.
        await socket.SendAsync(Hex.Bytes("00000042100120013c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66046563686f7d00000916076f6e652d776179810bb8980ca80c"));
        await socket.SendAsync(Hex.Bytes("0000003f10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66046563686f7d000007160568656c6c6f810bb8980ca80c"));
        Assert.Equal("0000001c10012c30024c5c6d000007060568656c6c6f780c8600980c", Hex.Of(await ReadFrameAsync(socket)));
        await Eventually.TrueAsync(() => _service.Echoed.Contains("one-way") && _server.InFlight == 0, "the one-way call ran to completion");
        socket.Shutdown(SocketShutdown.Send);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rest = new byte[1024];
        Assert.Equal(0, await socket.ReceiveAsync(rest.AsMemory(), SocketFlags.None, timeout.Token)); // nothing but the close
    }

    [Fact]
    public async Task Two_requests_in_one_write_and_one_byte_per_write_both_get_replies()
    {
        var echo = Hex.Bytes("0000003f10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66046563686f7d000007160568656c6c6f810bb8980ca80c");
        using var socket = await ConnectAsync();
        await socket.SendAsync(echo.Concat(echo).ToArray());
        await ReadFrameAsync(socket);
        await ReadFrameAsync(socket);
        foreach (var b in echo) await socket.SendAsync(new[] { b });
        Assert.Equal("0000001c10012c30024c5c6d000007060568656c6c6f780c8600980c", Hex.Of(await ReadFrameAsync(socket)));
    }

    [Theory]
    [InlineData("7fffffff")]                 // 2 GiB declared: refused before any allocation
    [InlineData("00010001")]                 // above MaxPacketSize (64 KiB here)
    [InlineData("00000003")]                 // below the minimum frame length
    [InlineData("0000000a0e0e0e0e0e0e")]     // invalid type codes
    [InlineData("0000000810010c0c")]         // request id, servant and function missing
    public async Task A_hostile_frame_closes_the_connection_and_the_server_keeps_serving(string hex)
    {
        long before = _server.MalformedFrames;
        using (var socket = await ConnectAsync())
        {
            await socket.SendAsync(Hex.Bytes(hex));
            Assert.True(await ClosedByServerAsync(socket));
        }
        Assert.True(_server.MalformedFrames > before);
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@{_server.Endpoint}");
        Assert.Equal("still here", await new EchoClient(channel).EchoAsync("still here"));
    }

    [Fact]
    public async Task Random_frames_never_take_the_server_down()
    {
        var random = new Random(7);
        for (int i = 0; i < 50; i++)
        {
            var body = new byte[random.Next(1, 200)];
            random.NextBytes(body);
            var frame = new byte[body.Length + 4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length);
            body.CopyTo(frame, 4);
            using var socket = await ConnectAsync();
            await socket.SendAsync(frame);
            socket.Shutdown(SocketShutdown.Send);
            await ClosedByServerAsync(socket);
        }
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@{_server.Endpoint}");
        Assert.Equal((0, 3), await new EchoClient(channel).AddAsync(1, 2));
        await Eventually.TrueAsync(() => _server.ConnectionCount <= 1, "every fuzzed connection was closed");
    }
}
