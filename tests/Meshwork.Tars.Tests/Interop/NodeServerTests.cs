using Meshwork.Rpc;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Interop;

/// <summary>A Meshwork TARS client (TarsChannel from a proxy string) calls the Node TARS server.</summary>
[Trait("Category", "Interop")]
public sealed class NodeServerTests : IAsyncLifetime
{
    private NodeTarsPeer _node = null!;

    public async ValueTask InitializeAsync() => _node = await NodeTarsPeer.StartServerAsync("--dump");

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.TupComplex, TarsVersion.Tup };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Every_function_of_the_node_server(short version)
    {
        await using var channel = TarsChannel.ForProxy(_node.Proxy(), new TarsClientOptions { Version = version });
        var client = new EchoClient(channel);
        Assert.Equal("héllo 世界", await client.EchoAsync("héllo 世界"));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        var back = await client.MirrorAsync(new Pair { A = 7, S = "hi", Big = 1234567890123, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal(8, back.A);
        Assert.Equal(1234567890123, back.Big);
        Assert.Equal(new byte[] { 3, 2, 1 }, back.Raw);
        Assert.Equal("v", back.Tags["k"]);
        await client.PingAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Vector_and_map_arguments_and_results(short version)
    {
        // Over TUP v2 the Node server looks the vector argument up as List<string>, exactly.
        await using var channel = TarsChannel.ForProxy(_node.Proxy(), new TarsClientOptions { Version = version });
        var client = new EchoClient(channel);
        Assert.Equal([0, 1, 2, 3], await client.RangeAsync(4));
        Assert.Equal(["p0", "p1"], (await client.PairsAsync(2)).Select(p => p.S));
        var counts = await client.CountAsync(["a", "b", "a", "ü"]);
        Assert.Equal(2, counts["a"]);
        Assert.Equal(1, counts["ü"]);
        var (n, parts) = await client.SplitAsync("x y  z");
        Assert.Equal(3, n);
        Assert.Equal(["x", "y", "z"], parts);
    }

    [Fact]
    public async Task Return_codes_become_rpc_exceptions_with_the_tars_code()
    {
        await using var channel = TarsChannel.ForProxy(_node.Proxy());
        var client = new EchoClient(channel);
        var fail = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
        Assert.Equal(StatusCode.DeadlineExceeded, fail.Status);
        Assert.Contains("fail requested", fail.Message, StringComparison.Ordinal);
        var nosuch = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync("nosuch"));
        Assert.Equal(TarsReturnCode.NoFunction, nosuch.GetTarsReturnCode());
    }

    [Fact]
    public async Task The_request_bytes_match_the_node_clients_capture()
    {
        await using var channel = TarsChannel.ForProxy(_node.Proxy());
        Assert.Equal((0, 42), await new EchoClient(channel).AddAsync(2, 40));
        // Same bytes as the Node client's add(2, 40) (spec §7.4.1) apart from the request id (Meshwork starts at 1).
        string expected = "0000003b10012c3c4001561b4d657368546573742e4563686f5365727665722e4563686f4f626a66036164647d00000410022028810bb8980ca80c";
        await Eventually.TrueAsync(() => _node.Log.Contains("SERVER <- " + expected, StringComparison.Ordinal), "the Node server received the canonical frame");
    }

    [Fact]
    public async Task One_way_calls_reach_the_node_server_and_get_no_reply()
    {
        await using var channel = TarsChannel.ForProxy(_node.Proxy());
        var client = new EchoClient(channel);
        await client.EchoOneWayAsync("one-way");
        string hex = Convert.ToHexStringLower("one-way"u8);
        await Eventually.TrueAsync(() => _node.Log.Split('\n').Any(l => l.StartsWith("SERVER <- ", StringComparison.Ordinal) && l.Contains(hex, StringComparison.Ordinal)),
            "the Node server received the one-way request");
        Assert.Equal("after", await client.EchoAsync("after"));
        Assert.DoesNotContain(_node.Log.Split('\n'), l => l.StartsWith("SERVER -> ", StringComparison.Ordinal) && l.Contains(hex, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_thousand_concurrent_calls_share_one_connection()
    {
        await using var channel = TarsChannel.ForProxy(_node.Proxy());
        var client = new EchoClient(channel);
        var sums = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => client.AddAsync(i, 1)));
        for (int i = 0; i < 1000; i++) Assert.Equal(i + 1, sums[i].Sum);
    }
}
