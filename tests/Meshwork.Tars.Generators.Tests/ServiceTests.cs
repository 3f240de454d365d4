using Common;
using Everything;
using MeshTest;
using Meshwork.Rpc;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>
/// Generated proxies calling generated dispatchers through a real Meshwork TARS server on 127.0.0.1, over TARS v1 and
/// both TUP versions.
/// </summary>
public sealed class ServiceTests
{
    private const string EchoObject = "MeshTest.EchoServer.EchoObj";
    private const string KitchenObject = "Everything.KitchenServer.KitchenObj";

    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.TupComplex, TarsVersion.Tup };

    private static async Task<(TarsServer Server, TarsChannel Channel)> StartAsync(short version, params TarsServiceDefinition[] services)
    {
        var server = new TarsServer();
        foreach (var service in services) server.AddService(service);
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        return (server, TarsChannel.ForProxy(services[0].ObjectName + "@" + endpoint, new TarsClientOptions { Version = version }));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Echo_proxy_calls_echo_dispatcher(short version)
    {
        var (server, channel) = await StartAsync(version, EchoDispatcher.Bind(EchoObject, new EchoService()));
        await using var _ = server;
        await using var __ = channel;
        IEcho echo = new EchoProxy(channel, EchoObject);

        Assert.Equal("héllo 世界", await echo.EchoAsync("héllo 世界"));
        Assert.Equal(new IEcho.AddResult(0, 42), await echo.AddAsync(2, 40));
        var big = new string('x', 200_000);
        Assert.Equal(big, await echo.EchoAsync(big));
        var back = await echo.MirrorAsync(new Pair { A = 7, S = "hi", Big = 1234567890123, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } });
        Assert.Equal((8, "hi", 1234567890123L), (back.A, back.S, back.Big));
        Assert.Equal([3, 2, 1], back.Raw);
        var fail = await Assert.ThrowsAsync<RpcException>(async () => await echo.FailAsync(-6));
        Assert.Equal(-6, fail.GetTarsReturnCode());
        Assert.Contains("fail requested", fail.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Out_parameters_containers_enums_and_bytes_cross_the_wire(short version)
    {
        var kitchen = new KitchenService();
        var (server, channel) = await StartAsync(version, KitchenDispatcher.Bind(KitchenObject, kitchen));
        await using var _ = server;
        await using var __ = channel;
        IKitchen proxy = new KitchenProxy(channel, KitchenObject);

        await proxy.PingAsync();
        Assert.Equal(1, kitchen.Pings);
        Assert.Equal(new IKitchen.AddResult(1, 5, "2+3"), await proxy.AddAsync(2, 3));
        var containers = new Containers
        {
            Ints = [1, 2],
            Names = ["ü"],
            Groups = new() { ["g"] = [new Scalars { I32 = 9 }] },
            Counts = new() { [new Stamp { Seconds = 1 }] = 2 },
            Colors = [Everything.Color.GREEN],
            Stamp = new Stamp { Seconds = 77, Zone = "CET" },
        };
        var round = await proxy.RoundTripAsync(containers, "shard-1");
        Assert.Equal([1, 2, 2], round.Ints);
        Assert.Equal(["ü", "shard-1"], round.Names);
        Assert.Equal(9, round.Groups["g"][0].I32);
        Assert.Equal(2, round.Counts[new Stamp { Seconds = 1 }]);
        Assert.Equal((77L, "CET"), (round.Stamp.Seconds, round.Stamp.Zone));
        var list = await proxy.ListAsync(new Dictionary<string, string> { ["n"] = "3" });
        Assert.Equal((3, 3), (list.ReturnValue.Count, list.Total));
        Assert.Equal([0, 1, 2], list.ReturnValue.Select(s => s.I32));
        Assert.Equal(Everything.Color.@class, await proxy.PaintAsync(Everything.Color.BLUE, Level.HIGH));
        Assert.True(await proxy.CheckAsync([1, 2, 3], 65535));
        Assert.False(await proxy.CheckAsync([], 1));
        Assert.Equal(new IKitchen.AwkwardResult(6, 5), await proxy.AwkwardAsync(1, "ab", 2, "cde", 3));
    }

    [Fact]
    public async Task Context_map_reaches_the_per_call_implementation()
    {
        string? seen = null;
        var definition = EchoDispatcher.Bind(EchoObject, context =>
        {
            seen = context.RequestContext.TryGetValue("user", out var user) ? user : "(none)";
            return new EchoService();
        });
        var (server, channel) = await StartAsync(TarsVersion.Tars, definition);
        await using var _ = server;
        await using var __ = channel;
        var proxy = new EchoProxy(channel, EchoObject).WithContext(new Dictionary<string, string> { ["user"] = "alice" });

        Assert.Equal("x", await proxy.EchoAsync("x"));
        Assert.Equal("alice", seen);
    }

    [Fact]
    public async Task Call_options_timeout_applies_to_every_call_of_the_copy()
    {
        var (server, channel) = await StartAsync(TarsVersion.Tars, KitchenDispatcher.Bind(KitchenObject, new KitchenService { PaintDelay = Timeout.InfiniteTimeSpan }));
        await using var _ = server;
        await using var __ = channel;
        var proxy = new KitchenProxy(channel, KitchenObject).WithOptions(new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await proxy.PaintAsync(Everything.Color.RED, Level.LOW));
        Assert.Equal(StatusCode.DeadlineExceeded, error.Status);
    }

    [Fact]
    public void Proxy_and_dispatcher_reject_missing_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => new EchoProxy(null!, EchoObject));
        Assert.Throws<ArgumentException>(() => new EchoProxy(TarsChannel.ForProxy(EchoObject + "@tcp -h 127.0.0.1 -p 1"), " "));
        Assert.Throws<ArgumentNullException>(() => EchoDispatcher.Bind(EchoObject, (IEcho)null!));
        Assert.Equal(["echo", "add", "mirror", "fail"], EchoDispatcher.Bind(EchoObject, new EchoService()).Functions);
    }

    private sealed class EchoService : IEcho
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

    private sealed class KitchenService : IKitchen
    {
        public int Pings { get; private set; }

        public TimeSpan PaintDelay { get; init; } = TimeSpan.Zero;

        public ValueTask PingAsync(CancellationToken cancellationToken = default)
        {
            Pings++;
            return ValueTask.CompletedTask;
        }

        public ValueTask<IKitchen.AddResult> AddAsync(int a, int b, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new IKitchen.AddResult(1, a + b, a + "+" + b));

        public ValueTask<Containers> RoundTripAsync(Containers c, string shard, CancellationToken cancellationToken = default)
        {
            c.Ints.Add(c.Ints.Count);
            c.Names.Add(shard);
            return ValueTask.FromResult(c);
        }

        public ValueTask<IKitchen.ListResult> ListAsync(Dictionary<string, string> filter, CancellationToken cancellationToken = default)
        {
            var n = int.Parse(filter["n"], System.Globalization.CultureInfo.InvariantCulture);
            var items = Enumerable.Range(0, n).Select(i => new Scalars { I32 = i }).ToList();
            return ValueTask.FromResult(new IKitchen.ListResult(items, n));
        }

        public async ValueTask<Everything.Color> PaintAsync(Everything.Color c, Level level, CancellationToken cancellationToken = default)
        {
            if (PaintDelay != TimeSpan.Zero) await Task.Delay(PaintDelay, cancellationToken);
            return c == Everything.Color.BLUE && level == Level.HIGH ? Everything.Color.@class : Everything.Color.RED;
        }

        public ValueTask<bool> CheckAsync(byte[] blob, ushort port, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(blob.Length == 3 && port == 65535);

        public ValueTask<IKitchen.AwkwardResult> AwkwardAsync(int _p0, string context_, int result_, string cancellationToken_, int @event, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new IKitchen.AwkwardResult(_p0 + result_ + @event, (context_ + cancellationToken_).Length));
    }
}
