using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Calls;

/// <summary>TARS JSON (iVersion 5): sBuffer is a JSON object of parameters by name, the return value under tars_ret.</summary>
public sealed class JsonVersionTests : IAsyncLifetime
{
    private readonly EchoService _service = new();
    private TarsServer _server = null!;
    private string _proxy = "";

    public async ValueTask InitializeAsync()
    {
        _server = new TarsServer().AddService(_service.Definition());
        _proxy = $"{EchoService.ObjectName}@{await _server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000")}";
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Sends one request frame, as a JSON-speaking gateway would, and returns the reply's body.</summary>
    private async Task<TarsResponsePacket> RawCallAsync(string function, string json)
    {
        using var frame = new TarsBufferWriter();
        TarsFrame.Compose(frame, (function, json), static (ref TarsWriter w, (string Function, string Json) s) =>
            TarsRequestPacket.Write(ref w, TarsVersion.Json, TarsPacketType.Normal, 0, 7, EchoService.ObjectName, s.Function,
                Encoding.UTF8.GetBytes(s.Json), 3000, null, null), 1 << 20);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", _server.Endpoint!.Port);
        await socket.SendAsync(frame.WrittenMemory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var prefix = new byte[4];
        int got = 0;
        while (got < 4) got += await socket.ReceiveAsync(prefix.AsMemory(got), SocketFlags.None, timeout.Token);
        var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix) - 4];
        got = 0;
        while (got < body.Length) got += await socket.ReceiveAsync(body.AsMemory(got), SocketFlags.None, timeout.Token);
        return TarsResponsePacket.Decode(body, 64);
    }

    [Fact]
    public async Task A_json_request_gets_a_json_reply_with_tars_ret_and_the_out_parameters()
    {
        var reply = await RawCallAsync("add", """{"a":2,"b":40}""");
        Assert.Equal(TarsVersion.Json, reply.Version);
        Assert.Equal(7, reply.RequestId);
        Assert.Equal(0, reply.ReturnCode);
        using var json = JsonDocument.Parse(reply.Buffer);
        Assert.Equal(0, json.RootElement.GetProperty("tars_ret").GetInt32());
        Assert.Equal(42, json.RootElement.GetProperty("sum").GetInt32());

        reply = await RawCallAsync("count", """{"words":["a","b","a","ü"]}""");
        using var counts = JsonDocument.Parse(reply.Buffer);
        Assert.Equal(2, counts.RootElement.GetProperty("tars_ret").GetProperty("a").GetInt32());
        Assert.Equal(1, counts.RootElement.GetProperty("tars_ret").GetProperty("ü").GetInt32());

        reply = await RawCallAsync("split", """{"text":"x y"}""");
        using var split = JsonDocument.Parse(reply.Buffer);
        Assert.Equal(["x", "y"], split.RootElement.GetProperty("parts").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Bad_json_and_struct_parameters_get_clear_errors()
    {
        var reply = await RawCallAsync("echo", "{not json");
        Assert.Equal(TarsReturnCode.ServerDecodeError, reply.ReturnCode);
        Assert.Contains("not valid JSON", reply.ResultDescription, StringComparison.Ordinal);

        reply = await RawCallAsync("echo", "[1,2]");
        Assert.Equal(TarsReturnCode.ServerDecodeError, reply.ReturnCode);
        Assert.Contains("JSON object", reply.ResultDescription, StringComparison.Ordinal);

        reply = await RawCallAsync("mirror", """{"p":{"a":1}}""");
        Assert.Equal(TarsReturnCode.ServerDecodeError, reply.ReturnCode);
        Assert.Contains("struct parameters", reply.ResultDescription, StringComparison.Ordinal);

        reply = await RawCallAsync("pairs", """{"n":1}""");
        Assert.Equal(TarsReturnCode.ServerEncodeError, reply.ReturnCode);
        Assert.Contains("struct", reply.ResultDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_meshwork_client_calls_over_json()
    {
        await using var channel = TarsChannel.ForProxy(_proxy, new TarsClientOptions { Version = TarsVersion.Json });
        var client = new EchoClient(channel);
        Assert.Equal("héllo \"json\"", await client.EchoAsync("héllo \"json\""));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        Assert.Equal([0, 1, 2], await client.RangeAsync(3));
        Assert.Equal(2, (await client.CountAsync(["a", "a"]))["a"]);
        var (n, parts) = await client.SplitAsync("p q r");
        Assert.Equal(3, n);
        Assert.Equal(["p", "q", "r"], parts);
        var fail = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
        var structs = await Assert.ThrowsAsync<TarsException>(() => client.MirrorAsync(new Pair { A = 1 }));
        Assert.Contains("struct", structs.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_numbers_reach_integer_float_and_double_readers()
    {
        var args = new TarsParameters(TarsVersion.Json, Encoding.UTF8.GetBytes("""{"i":7,"d":2,"f":1.5,"big":12345678901,"b":true,"raw":[1,-2]}"""));
        Assert.Equal(7, args.Read(1, "i", static (ref TarsReader r, int t) => r.ReadInt32(t, true)));
        Assert.Equal(2.0, args.Read(2, "d", static (ref TarsReader r, int t) => r.ReadDouble(t, true)));
        Assert.Equal(1.5f, args.Read(3, "f", static (ref TarsReader r, int t) => r.ReadFloat(t, true)));
        Assert.Equal(12345678901L, args.Read(4, "big", static (ref TarsReader r, int t) => r.ReadInt64(t, true)));
        Assert.True(args.Read(5, "b", static (ref TarsReader r, int t) => r.ReadBool(t, true)));
        Assert.Equal(new byte[] { 1, 0xFE }, args.Read(6, "raw", static (ref TarsReader r, int t) => r.ReadBytes(t, true)));
        var e = Assert.Throws<TarsDecodeException>(() => args.Read(7, "missing", static (ref TarsReader r, int t) => r.ReadInt32(t, true)));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }
}
