using System.Text.Json;

namespace Meshwork.Cli.Tests;

/// <summary>The meshwork CLI against a real serf 0.9.4 agent: the agent joins, and members, events, queries and leave flow both ways.</summary>
public class AgentInteropTests
{
    [Fact]
    [Trait("Category", "Interop")]
    public async Task Meshwork_agent_and_serf_agent_see_each_other_with_tags()
    {
        await using var serf = await SerfAgent.StartAsync("serf-1", "-tag", "role=gateway");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-1", "--join", $"127.0.0.1:{serf.BindPort}", "--tag", "rpc=127.0.0.1:7000", "--tag", "zone=a");

        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-1"))?.Status == "alive", "serf sees mesh-1 alive");
        var seenBySerf = (await serf.MemberAsync("mesh-1"))!;
        Assert.Equal("127.0.0.1:7000", seenBySerf.Tags["rpc"]);
        Assert.Equal("a", seenBySerf.Tags["zone"]);

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("members", "--rpc-addr", mesh.RpcAddr, "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var members = doc.RootElement.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal("alive", members["serf-1"].GetProperty("status").GetString());
        Assert.Equal("gateway", members["serf-1"].GetProperty("tags").GetProperty("role").GetString());
        Assert.Equal(serf.BindPort, members["serf-1"].GetProperty("port").GetInt32());

        (code, stdout, _) = await MeshworkCli.RunAsync("members", "--rpc-addr", mesh.RpcAddr, "--status", "alive");
        Assert.Equal(0, code);
        Assert.Contains("serf-1", stdout);
        Assert.Contains("mesh-1", stdout);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Events_and_queries_flow_from_the_meshwork_cli_to_serf_and_back()
    {
        await using var serf = await SerfAgent.StartAsync("serf-2");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-2", "--join", $"127.0.0.1:{serf.BindPort}");
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-2"))?.Status == "alive", "serf sees mesh-2");

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("event", "--rpc-addr", mesh.RpcAddr, "deploy", "v42");
        Assert.True(code == 0, stderr);
        Assert.Contains("dispatched", stdout);
        await Eventually.TrueAsync(() => serf.Log.Contains("deploy", StringComparison.Ordinal), "serf logs the user event");

        (code, stdout, stderr) = await MeshworkCli.RunAsync("query", "--rpc-addr", mesh.RpcAddr, "--timeout", "2", "--ack", "status", "now");
        Assert.True(code == 0, stderr);
        Assert.Contains("Ack from 'serf-2'", stdout);
        Assert.Contains("Ack from 'mesh-2'", stdout);

        // And the other way: a query from the serf CLI is acknowledged by the meshwork agent.
        var (serfCode, serfOut, _) = await serf.CliAsync("query", "-timeout=2s", "ping-from-serf");
        Assert.Equal(0, serfCode);
        Assert.Contains("mesh-2", serfOut);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Leave_through_the_cli_is_seen_as_left_by_serf()
    {
        await using var serf = await SerfAgent.StartAsync("serf-3");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-3", "--join", $"127.0.0.1:{serf.BindPort}");
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-3"))?.Status == "alive", "serf sees mesh-3");

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("leave", "--rpc-addr", mesh.RpcAddr);
        Assert.True(code == 0, stderr + stdout);
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-3"))?.Status == "left", "serf sees mesh-3 left");
        await mesh.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Serf_agent_joining_a_meshwork_agent_is_listed_by_the_cli()
    {
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-4", "--tag", "role=seed");
        await using var serf = await SerfAgent.StartAsync("serf-4", $"-join=127.0.0.1:{mesh.GossipPort}");
        await Eventually.TrueAsync(async () =>
        {
            var (_, stdout, _) = await MeshworkCli.RunAsync("members", "--rpc-addr", mesh.RpcAddr, "--status", "alive");
            return stdout.Contains("serf-4", StringComparison.Ordinal);
        }, "meshwork agent lists serf-4 alive");
        Assert.Equal("seed", (await serf.MemberAsync("mesh-4"))!.Tags["role"]);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Join_through_the_cli_connects_the_agent_to_a_serf_agent()
    {
        await using var serf = await SerfAgent.StartAsync("serf-5");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-5", "--tag", "zone=b");
        Assert.Null(await serf.MemberAsync("mesh-5"));

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("join", "--rpc-addr", mesh.RpcAddr, $"127.0.0.1:{serf.BindPort}");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Successfully joined cluster by contacting 1 nodes.", stdout);
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-5"))?.Status == "alive", "serf sees mesh-5 alive after the join");
        Assert.Equal("b", (await serf.MemberAsync("mesh-5"))!.Tags["zone"]);
        await Eventually.TrueAsync(async () => (await MeshworkCli.RunAsync("members", "--rpc-addr", mesh.RpcAddr, "--status", "alive")).Stdout.Contains("serf-5", StringComparison.Ordinal),
            "the meshwork agent lists serf-5 alive");

        // An address where nothing listens: the command fails and says which address could not be joined.
        int nobody = FreePort.TcpAndUdp();
        (code, _, stderr) = await MeshworkCli.RunAsync("join", "--rpc-addr", mesh.RpcAddr, $"127.0.0.1:{nobody}");
        Assert.Equal(1, code);
        Assert.Contains($"could not join any of 127.0.0.1:{nobody}", stderr);
    }

    [Fact]
    public async Task Commands_without_an_agent_fail_with_a_clear_message()
    {
        int port = FreePort.TcpAndUdp();
        var (code, _, stderr) = await MeshworkCli.RunAsync("members", "--rpc-addr", $"127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Contains($"no agent answering on 127.0.0.1:{port}", stderr);

        (code, _, stderr) = await MeshworkCli.RunAsync("agent", "--node", "x", "--bind", "not-an-address");
        Assert.Equal(2, code);
        Assert.Contains("not-an-address", stderr);

        // An agent told to join where nobody listens stops with the reason instead of running alone.
        int nobody = FreePort.TcpAndUdp();
        (code, _, stderr) = await MeshworkCli.RunAsync("agent", "--node", "z", "--bind", $"127.0.0.1:{FreePort.TcpAndUdp()}", "--rpc-addr", $"127.0.0.1:{FreePort.TcpAndUdp()}",
            "--join", $"127.0.0.1:{nobody}", "--log-level", "None");
        Assert.Equal(1, code);
        Assert.Contains($"could not join any of 127.0.0.1:{nobody}", stderr);

        // A gossip port that is already taken is reported, not thrown as a crash.
        await using var first = await MeshworkCli.StartAgentAsync("port-owner");
        (code, _, stderr) = await MeshworkCli.RunAsync("agent", "--node", "y", "--bind", $"127.0.0.1:{first.GossipPort}", "--rpc-addr", $"127.0.0.1:{FreePort.TcpAndUdp()}");
        Assert.Equal(2, code);
        Assert.Contains("error:", stderr);
    }
}
