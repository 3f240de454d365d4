using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Meshwork.Testing;

/// <summary>
/// A real <c>serf agent</c> (0.9.4, from PATH) on 127.0.0.1 with runtime-chosen ports, ready when its RPC answers;
/// always killed on dispose. Tests that start one are interop tests: mark them <c>[Trait("Category", "Interop")]</c>.
/// </summary>
public sealed class SerfAgent : IAsyncDisposable
{
    /// <summary>How long a fresh agent may take to answer <c>serf members</c>.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);

    private readonly RunningProcess _process;

    private SerfAgent(string name, int bindPort, int rpcPort, RunningProcess process)
    {
        Name = name;
        BindPort = bindPort;
        RpcPort = rpcPort;
        _process = process;
    }

    /// <summary>Node name.</summary>
    public string Name { get; }

    /// <summary>Gossip port (TCP and UDP).</summary>
    public int BindPort { get; }

    /// <summary>RPC port the serf CLI talks to.</summary>
    public int RpcPort { get; }

    /// <summary>Gossip address.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Loopback, BindPort);

    /// <summary>RPC address as <c>host:port</c>.</summary>
    public string RpcAddr => $"127.0.0.1:{RpcPort}";

    /// <summary>The agent's output so far (debug log level).</summary>
    public string Log => _process.Log;

    /// <summary>Whether the agent process has exited (e.g. crashed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Operating-system process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>SIGSTOP / SIGCONT: freeze and resume the agent.</summary>
    public void Freeze(bool frozen) => _process.Signal(frozen ? RunningProcess.SigStop : RunningProcess.SigCont);

    /// <summary>Starts an agent on a free gossip port with extra <c>serf agent</c> flags.</summary>
    public static Task<SerfAgent> StartAsync(string name, params string[] extra) => StartOnPortAsync(name, 0, extra);

    /// <summary>Starts an agent on a given gossip port (0 = pick a free one), e.g. to restart a node at its old address.</summary>
    public static async Task<SerfAgent> StartOnPortAsync(string name, int port, params string[] extra)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var bind = port != 0 ? port : global::Meshwork.Testing.FreePort.TcpAndUdp();
            var rpc = global::Meshwork.Testing.FreePort.TcpAndUdp();
            string[] args = ["agent", $"-node={name}", $"-bind=127.0.0.1:{bind}", $"-advertise=127.0.0.1:{bind}", $"-rpc-addr=127.0.0.1:{rpc}", "-log-level=debug", .. extra];
            var agent = new SerfAgent(name, bind, rpc, RunningProcess.Start("serf", args));
            try
            {
                await agent.WaitReadyAsync();
                return agent;
            }
            catch (Exception e)
            {
                // Usually a port taken between choosing and binding: retry on new ports.
                last = new InvalidOperationException($"serf agent {name} did not become ready:\n{agent.Log}", e);
                await agent.DisposeAsync();
            }
        }
        throw last!;
    }

    private async Task WaitReadyAsync()
    {
        // A readiness poll that gives up at once when the agent exits (port taken), so the caller retries quickly.
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException("serf agent exited");
            if ((await CliAsync("members")).Code == 0) return;
            if (sw.Elapsed > ReadyTimeout) throw new TimeoutException($"serf agent {Name} not answering on {RpcAddr} after {ReadyTimeout.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs a serf CLI command (<c>args[0]</c> is the subcommand) against this agent's RPC address.</summary>
    public Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args) =>
        ProcessRunner.RunAsync("serf", [args[0], $"-rpc-addr={RpcAddr}", .. args.Skip(1)], TimeSpan.FromSeconds(30));

    /// <summary>The members this agent knows, from <c>serf members -format=json</c>.</summary>
    public async Task<List<AgentMember>> MembersAsync()
    {
        var (code, stdout, stderr) = await CliAsync("members", "-format=json");
        if (code != 0) throw new InvalidOperationException($"serf members failed: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var list = new List<AgentMember>();
        foreach (var m in doc.RootElement.GetProperty("members").EnumerateArray())
        {
            var tags = new Dictionary<string, string>();
            if (m.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                foreach (var kv in t.EnumerateObject()) tags[kv.Name] = kv.Value.GetString() ?? "";
            }
            list.Add(new AgentMember(m.GetProperty("name").GetString()!, m.GetProperty("addr").GetString()!,
                m.GetProperty("port").GetInt32(), tags, m.GetProperty("status").GetString()!));
        }
        return list;
    }

    /// <summary>One member by name, or null if this agent does not know it.</summary>
    public async Task<AgentMember?> MemberAsync(string name) => (await MembersAsync()).FirstOrDefault(m => m.Name == name);

    /// <summary>SIGKILL: the agent vanishes without a leave.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>SIGINT: graceful leave, then exit (waits up to 20 s).</summary>
    public async Task InterruptAsync()
    {
        if (_process.HasExited) return;
        _process.Signal(RunningProcess.SigInt);
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>A loopback port free for TCP and UDP (kept here because many tests call it through the agent).</summary>
    public static int FreePort() => global::Meshwork.Testing.FreePort.TcpAndUdp();

    /// <summary>Kills the agent if it is still running.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
