using MeshTest;
using Meshwork.Rpc;

namespace Meshwork.Tars.Generators.Tests.Interop;

/// <summary>
/// Code generated from meshtest.tars (the contract of the Node peer) against the real Node TARS implementation: the
/// generated proxy calls the Node server, and the Node client calls the generated dispatcher.
/// </summary>
[Trait("Category", "Interop")]
public sealed class NodeEchoInteropTests
{
    private const string ObjectName = "MeshTest.EchoServer.EchoObj";

    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.Tup };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Generated_proxy_calls_the_node_server(short version)
    {
        var (process, endpoint) = await NodePeer.StartEchoServerAsync();
        await using var _ = process;
        await using var channel = TarsChannel.ForProxy(ObjectName + "@" + endpoint, new TarsClientOptions { Version = version });
        IEcho echo = new EchoProxy(channel, ObjectName);

        Assert.Equal("héllo 世界", await echo.EchoAsync("héllo 世界"));
        Assert.Equal(new IEcho.AddResult(0, 42), await echo.AddAsync(2, 40));
        var back = await echo.MirrorAsync(new Pair { A = 7, S = "hi", Big = 0x11f71fb04cb, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal((8, "hi", 0x11f71fb04cbL, "v"), (back.A, back.S, back.Big, back.Tags["k"]));
        Assert.Equal([3, 2, 1], back.Raw);
        var fail = await Assert.ThrowsAsync<RpcException>(async () => await echo.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task Node_client_calls_the_generated_dispatcher(int tup)
    {
        await using var server = new TarsServer().AddService(EchoDispatcher.Bind(ObjectName, new EchoImplementation()));
        var endpoint = ObjectName + "@" + await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        string[] Call(string func, string args) => tup == 0
            ? ["call", "--endpoint", endpoint, "--func", func, "--args", args]
            : ["call", "--endpoint", endpoint, "--func", func, "--args", args, "--tup", "3"];

        var echo = await NodePeer.RunClientAsync(NodePeer.EchoScript, Call("echo", "[\"héllo 世界\"]"));
        Assert.Equal("héllo 世界", echo.GetProperty("ret").GetString());
        var add = await NodePeer.RunClientAsync(NodePeer.EchoScript, Call("add", "[2,40]"));
        Assert.Equal((0, 42), (add.GetProperty("ret").GetInt32(), add.GetProperty("out").GetProperty("sum").GetInt32()));
        var mirror = await NodePeer.RunClientAsync(NodePeer.EchoScript, Call("mirror", "[{\"a\":7,\"s\":\"hi\",\"big\":5,\"raw\":\"010203\",\"tags\":{\"k\":\"v\"}}]"));
        var pair = mirror.GetProperty("ret");
        Assert.Equal((8, "hi", "030201", "v"), (pair.GetProperty("a").GetInt32(), pair.GetProperty("s").GetString(), pair.GetProperty("raw").GetString(), pair.GetProperty("tags").GetProperty("k").GetString()));
        var fail = await NodePeer.RunClientAsync(NodePeer.EchoScript, Call("fail", "[-6]"));
        Assert.Equal((false, -6), (fail.GetProperty("ok").GetBoolean(), fail.GetProperty("code").GetInt32()));
    }

    private sealed class EchoImplementation : IEcho
    {
        public ValueTask<string> EchoAsync(string msg, CancellationToken cancellationToken = default) => ValueTask.FromResult(msg);

        public ValueTask<IEcho.AddResult> AddAsync(int a, int b, CancellationToken cancellationToken = default) => ValueTask.FromResult(new IEcho.AddResult(0, a + b));

        public ValueTask<Pair> MirrorAsync(Pair p, CancellationToken cancellationToken = default)
        {
            p.A++;
            Array.Reverse(p.Raw);
            return ValueTask.FromResult(p);
        }

        public ValueTask FailAsync(int code, CancellationToken cancellationToken = default) => throw new TarsException(code, "fail requested");
    }
}
