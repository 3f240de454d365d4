using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Interop;

/// <summary>TARS over UDP against the Node peer (@tars/rpc 2.0.15 serves and calls udp endpoints), both directions.</summary>
[Trait("Category", "Interop")]
public sealed class NodeUdpTests
{
    public static TheoryData<string> Versions => new() { "1", "2", "3" };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_node_client_calls_a_meshwork_udp_server(string version)
    {
        var service = new EchoService();
        await using var server = new TarsServer().AddService(service.Definition());
        var endpoint = await server.StartAsync("udp -h 127.0.0.1 -p 0 -t 60000");
        string proxy = $"{EchoService.ObjectName}@{endpoint}";
        string[] tup = version == "1" ? [] : ["--tup", version];

        var r = await NodeTarsPeer.CallAsync(proxy, "add", "[2,40]", tup);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(42, r.GetProperty("out").GetProperty("sum").GetInt32());

        r = await NodeTarsPeer.CallAsync(proxy, "range", "[3]", tup);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal([0, 1, 2], r.GetProperty("ret").EnumerateArray().Select(e => e.GetInt32()));

        r = await NodeTarsPeer.CallAsync(proxy, "fail", "[-6]", tup);
        Assert.Equal(-6, r.GetProperty("code").GetInt32());

        r = await NodeTarsPeer.CallAsync(proxy, "echo", """["one-way over udp"]""", [.. tup, "--oneway"]);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        await Eventually.TrueAsync(() => service.Echoed.Contains("one-way over udp"), "the Node one-way datagram reached the handler");

        r = await NodeTarsPeer.CallAsync(proxy, "add", "[1,2]", [.. tup, "--repeat", "200"]);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(200, r.GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData(TarsVersion.Tars)]
    [InlineData(TarsVersion.TupComplex)]
    [InlineData(TarsVersion.Tup)]
    public async Task Meshwork_calls_a_node_udp_server(short version)
    {
        await using var node = await NodeTarsPeer.StartServerAsync("--proto", "udp");
        Assert.Equal("udp", node.Transport);
        await using var channel = TarsChannel.ForProxy(node.Proxy(), new TarsClientOptions { Version = version });
        var client = new EchoClient(channel);
        Assert.Equal("héllo udp", await client.EchoAsync("héllo udp"));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        var back = await client.MirrorAsync(new Pair { A = 7, S = "hi", Big = 1234567890123, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal(8, back.A);
        Assert.Equal(new byte[] { 3, 2, 1 }, back.Raw);
        Assert.Equal([0, 1, 2, 3], await client.RangeAsync(4));
        var counts = await client.CountAsync(["a", "b", "a"]);
        Assert.Equal(2, counts["a"]);
        var fail = await Assert.ThrowsAsync<Meshwork.Rpc.RpcException>(() => client.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
    }
}
