using System.Net.Sockets;
using System.Text;
using Meshwork.Serf.Agent.Ipc;

namespace Meshwork.Serf.Agent.Tests;

/// <summary>What a serf client library relies on (stream, respond), and what keeps the agent healthy (limits, bad input, bad scripts).</summary>
[Trait("Category", "Interop")]
public sealed class AgentBehaviourTests
{
    [Fact]
    public async Task A_stream_client_answers_queries_with_respond()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-s");
        await using var client = await SerfIpcClient.ConnectAsync(mesh.RpcAddr);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = client.StreamAsync("query:who,user", cts.Token).GetAsyncEnumerator(cts.Token);

        var query = mesh.SerfAsync("query", "-timeout=5s", "who", "asks");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("query", events.Current.Event);
        Assert.Equal("who", events.Current.Name);
        Assert.Equal("asks", Encoding.UTF8.GetString(events.Current.Payload));
        await client.RespondAsync(events.Current.QueryId, Encoding.UTF8.GetBytes("me"), cts.Token);
        var (_, stdout, _) = await query;
        Assert.Contains("Response from 'mesh-s': me", stdout);

        await mesh.SerfAsync("event", "hello", "there");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("user", events.Current.Event);
        Assert.Equal("hello", events.Current.Name);

        // An unknown query id is refused with serf's text.
        var error = await Assert.ThrowsAsync<SerfIpcException>(() => client.RespondAsync(9999, [1], cts.Token));
        Assert.Equal("No pending queries matching ID", error.Message);
        // A bad filter too.
        var bad = await Assert.ThrowsAsync<SerfIpcException>(async () =>
        {
            await foreach (var _ in client.StreamAsync("member-explode", cts.Token)) { }
        });
        Assert.Equal("Invalid event filter", bad.Message);
        await events.DisposeAsync();
    }

    [Fact]
    public async Task The_meshwork_client_drives_a_real_serf_agent()
    {
        await using var serf = await global::Meshwork.Testing.SerfAgent.StartAsync("serf-c", "-tag", "role=edge");
        await using var client = await SerfIpcClient.ConnectAsync(serf.RpcAddr);
        var members = await client.MembersAsync();
        var self = Assert.Single(members);
        Assert.Equal("serf-c", self.Name);
        Assert.Equal("edge", self.Tags["role"]);
        Assert.Equal(serf.BindPort, self.Port);
        var stats = await client.StatsAsync();
        Assert.Equal("serf-c", stats["agent"]["name"]);
    }

    [Fact]
    public async Task Garbage_and_oversized_requests_close_only_that_connection_and_are_counted()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-g", (o, _) => o.MaxRpcRequestSize = 4096);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(mesh.Agent.Ipc.EndPoint);
            await tcp.GetStream().WriteAsync(new byte[] { 0xc1, 0xc1, 0xc1 }); // 0xc1 is never valid msgpack
            Assert.Equal(0, await tcp.GetStream().ReadAsync(new byte[16])); // the agent hangs up
        }
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(mesh.Agent.Ipc.EndPoint);
            await tcp.GetStream().WriteAsync(new byte[] { 0xdb, 0x7f, 0xff, 0xff, 0xff }); // a 2 GiB string: refused before waiting for it
            Assert.Equal(0, await tcp.GetStream().ReadAsync(new byte[16]));
        }
        Assert.Equal(2, mesh.Agent.Ipc.MalformedRequests);
        // A command before the handshake gets serf's answer and a hang-up.
        var (code, _, _) = await mesh.SerfAsync("members");
        Assert.Equal(0, code); // the agent still serves well-behaved clients
    }

    [Fact]
    public async Task A_hung_handler_is_killed_and_reported_without_stalling_the_agent()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-hang", (o, dir) =>
        {
            o.HandlerTimeout = TimeSpan.FromSeconds(2);
            o.EventHandlers.Add("user:hang=" + MeshAgent.Script(dir, "hang.sh", "sleep 600"));
            o.EventHandlers.Add("user:after=" + MeshAgent.Script(dir, "after.sh", $"touch {Path.Combine(dir, "after.done")}"));
            o.EventHandlers.Add("user:fail=" + MeshAgent.Script(dir, "fail.sh", "exit 3"));
        });
        await mesh.SerfAsync("event", "-coalesce=false", "hang", "");
        await mesh.SerfAsync("event", "-coalesce=false", "fail", "");
        await mesh.SerfAsync("event", "-coalesce=false", "after", "");
        // While the script hangs, the agent keeps answering.
        var (code, stdout, _) = await mesh.SerfAsync("members");
        Assert.Equal(0, code);
        Assert.Contains("mesh-hang", stdout);
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(mesh.Directory, "after.done")), "the handler after the hung one ran");
        Assert.Equal(2, mesh.Agent.Handlers.Failed); // the killed one and the failing one
    }

    [Fact]
    public async Task Retry_join_keeps_trying_until_the_seed_appears()
    {
        int seedPort = FreePort.TcpAndUdp();
        await using var mesh = await MeshAgent.StartAsync("mesh-r", (o, _) =>
        {
            o.RetryJoin.Add($"localhost:{seedPort}"); // a DNS name, resolved on every attempt
            o.RetryInterval = TimeSpan.FromSeconds(1);
        });
        await Eventually.TrueAsync(() => mesh.Agent.LogSink.StartMonitor(Microsoft.Extensions.Logging.LogLevel.Warning) is var m
            && Drain(m).Any(l => l.Contains("retry join attempt", StringComparison.Ordinal)), "a failed attempt was logged");
        await using var seed = await global::Meshwork.Testing.SerfAgent.StartOnPortAsync("serf-seed", seedPort);
        await Eventually.TrueAsync(() => mesh.Agent.Node.Members().Any(m => m.Name == "serf-seed" && m.Status == MemberStatus.Alive), "joined the seed");
    }

    private static List<string> Drain(AgentLogSink.Monitor monitor)
    {
        using (monitor)
        {
            var lines = new List<string>();
            while (monitor.Reader.TryRead(out var line)) lines.Add(line);
            return lines;
        }
    }
}
