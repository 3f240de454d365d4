using System.Text.Json;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Interop;

/// <summary>An unmodified Node TARS client (@tars/rpc 2.0.15) calls a Meshwork TARS server, over TARS v1 and TUP v2/v3.</summary>
[Trait("Category", "Interop")]
public sealed class NodeClientTests : IAsyncLifetime
{
    private readonly EchoService _service = new();
    private TarsServer _server = null!;
    private string _proxy = "";

    public async ValueTask InitializeAsync()
    {
        _server = new TarsServer().AddService(_service.Definition());
        var endpoint = await _server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        _proxy = $"{EchoService.ObjectName}@{endpoint}";
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string> Versions => new() { "1", "2", "3" };

    private Task<JsonElement> Call(string function, string? args, string version, params string[] extra) =>
        NodeTarsPeer.CallAsync(_proxy, function, args, version == "1" ? extra : [.. extra, "--tup", version]);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Echo_with_unicode_and_a_large_payload(string version)
    {
        var r = await Call("echo", """["héllo, 世界 🌍"]""", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal("héllo, 世界 🌍", r.GetProperty("ret").GetString());
        string big = new('z', 60_000);
        r = await Call("echo", $"[\"{big}\"]", version);
        Assert.Equal(big, r.GetProperty("ret").GetString());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Add_returns_the_out_parameter(string version)
    {
        var r = await Call("add", "[2,40]", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(0, r.GetProperty("ret").GetInt32());
        Assert.Equal(42, r.GetProperty("out").GetProperty("sum").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Mirror_round_trips_a_struct_with_long_bytes_and_map(string version)
    {
        var r = await Call("mirror", """[{"a":7,"s":"hi ü","big":1234567890123,"raw":"010203","tags":{"k":"v","ключ":"значение"}}]""", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        var ret = r.GetProperty("ret");
        Assert.Equal(8, ret.GetProperty("a").GetInt32());
        Assert.Equal("hi ü", ret.GetProperty("s").GetString());
        Assert.Equal(1234567890123, ret.GetProperty("big").GetInt64());
        Assert.Equal("030201", ret.GetProperty("raw").GetString());
        Assert.Equal("значение", ret.GetProperty("tags").GetProperty("ключ").GetString());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Errors_carry_the_return_code_and_text(string version)
    {
        var r = await Call("fail", "[-6]", version);
        Assert.False(r.GetProperty("ok").GetBoolean());
        Assert.Equal(-6, r.GetProperty("code").GetInt32());
        // The Node client reads the text from sResultDesc for v1 only; over TUP it takes the code from STATUS_RESULT_CODE
        // and drops STATUS_RESULT_DESC (@tars/rpc 2.0.15 tars-client.js), so only the code can be checked there.
        if (version == "1") Assert.Equal("fail requested", r.GetProperty("message").GetString());
        r = await Call("nosuch", null, version);
        Assert.Equal(TarsReturnCode.NoFunction, r.GetProperty("code").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Vector_and_map_results_reach_the_node_client(string version)
    {
        // TUP v2 files each result under its type name and Node looks it up exactly (List<int32>, List<MeshTest.Pair>,
        // map<string,int32>), so this fails over v2 unless Meshwork writes Node's spelling.
        var r = await Call("range", "[4]", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal([0, 1, 2, 3], r.GetProperty("ret").EnumerateArray().Select(e => e.GetInt32()));

        r = await Call("pairs", "[2]", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(["p0", "p1"], r.GetProperty("ret").EnumerateArray().Select(e => e.GetProperty("s").GetString()));

        r = await Call("count", """[["a","b","a","ü"]]""", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        var counts = r.GetProperty("ret");
        Assert.Equal(2, counts.GetProperty("a").GetInt32());
        Assert.Equal(1, counts.GetProperty("ü").GetInt32());

        r = await Call("split", """["x y  z"]""", version);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(3, r.GetProperty("ret").GetInt32());
        Assert.Equal(["x", "y", "z"], r.GetProperty("out").GetProperty("parts").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Tars_ping_is_answered()
    {
        var r = await NodeTarsPeer.CallAsync(_proxy, "tars_ping");
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
    }

    [Fact]
    public async Task One_way_calls_reach_the_handler()
    {
        var r = await NodeTarsPeer.CallAsync(_proxy, "echo", """["one-way from node"]""", "--oneway");
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        await Eventually.TrueAsync(() => _service.Echoed.Contains("one-way from node"), "the one-way call reached the Meshwork handler");
    }

    [Fact]
    public async Task A_slow_call_times_out_at_the_node_client()
    {
        var r = await NodeTarsPeer.CallAsync(_proxy, "sleep", "[20000]", "--timeout", "500");
        Assert.False(r.GetProperty("ok").GetBoolean());
        Assert.Equal(-13001, r.GetProperty("code").GetInt32()); // Node's client-local "request timeout"
        await Eventually.TrueAsync(() => _server.InFlight == 0, "the server cancelled the handler when the client's iTimeout passed");
    }

    [Fact]
    public async Task A_thousand_concurrent_calls_on_one_connection()
    {
        var r = await NodeTarsPeer.CallAsync(_proxy, "add", "[1,2]", "--repeat", "1000");
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(1000, r.GetProperty("count").GetInt32());
        Assert.Equal(3, r.GetProperty("first").GetProperty("out").GetProperty("sum").GetInt32());
    }
}
