using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Meshwork.Serf.Tests;

/// <summary>A member as printed by <c>serf members -format=json</c>.</summary>
internal sealed record AgentMember(string Name, string Addr, int Port, Dictionary<string, string> Tags, string Status);

/// <summary>A real <c>serf agent</c> process on 127.0.0.1 with runtime-chosen ports; always killed on dispose.</summary>
internal sealed class SerfAgent : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private SerfAgent(string name, int bindPort, int rpcPort, Process process)
    {
        Name = name;
        BindPort = bindPort;
        RpcPort = rpcPort;
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (_log) { _log.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_log) { _log.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int BindPort { get; }

    public int RpcPort { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, BindPort);

    public string RpcAddr => $"127.0.0.1:{RpcPort}";

    public string Log { get { lock (_log) { return _log.ToString(); } } }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>SIGSTOP / SIGCONT: freeze and resume the agent.</summary>
    public void Freeze(bool frozen) => Signal(_process.Id, frozen ? SigStop : SigCont);

    private const int SigInt = 2;
    private const int SigCont = 18;
    private const int SigStop = 19;

    // POSIX kill(2) directly, so no external kill binary is needed. (This file is also compiled into other test
    // projects, so it stays self-contained and avoids source-generated interop.)
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    private static void Signal(int pid, int signal)
    {
        if (NativeKill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public static Task<SerfAgent> StartAsync(string name, params string[] extra) => StartOnPortAsync(name, 0, extra);

    /// <summary>Starts an agent on a given gossip port (0 = pick a free one), e.g. to restart a node at its old address.</summary>
    public static async Task<SerfAgent> StartOnPortAsync(string name, int port, params string[] extra)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var bind = port != 0 ? port : FreePort();
            var rpc = FreePort();
            var psi = new ProcessStartInfo("serf")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "agent", $"-node={name}", $"-bind=127.0.0.1:{bind}", $"-advertise=127.0.0.1:{bind}", $"-rpc-addr=127.0.0.1:{rpc}", "-log-level=debug" }.Concat(extra))
            {
                psi.ArgumentList.Add(a);
            }
            var p = Process.Start(psi) ?? throw new InvalidOperationException("serf did not start");
            var agent = new SerfAgent(name, bind, rpc, p);
            try
            {
                await agent.WaitReadyAsync();
                return agent;
            }
            catch (Exception e)
            {
                last = new InvalidOperationException($"serf agent {name} did not become ready:\n{agent.Log}", e);
                await agent.DisposeAsync();
            }
        }
        throw last!;
    }

    private async Task WaitReadyAsync()
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited) { throw new InvalidOperationException("serf agent exited"); }
            var (code, _, _) = await CliAsync("members");
            if (code == 0) { return; }
            await Task.Delay(100);
        }
        throw new TimeoutException("serf agent not ready");
    }

    /// <summary>Runs a serf CLI command against this agent's RPC address.</summary>
    public async Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("serf")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(args[0]);
        psi.ArgumentList.Add($"-rpc-addr={RpcAddr}");
        foreach (var a in args.Skip(1)) { psi.ArgumentList.Add(a); }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw; }
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task<List<AgentMember>> MembersAsync()
    {
        var (code, stdout, stderr) = await CliAsync("members", "-format=json");
        if (code != 0) { throw new InvalidOperationException($"serf members failed: {stderr}"); }
        using var doc = JsonDocument.Parse(stdout);
        var list = new List<AgentMember>();
        foreach (var m in doc.RootElement.GetProperty("members").EnumerateArray())
        {
            var tags = new Dictionary<string, string>();
            if (m.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                foreach (var kv in t.EnumerateObject()) { tags[kv.Name] = kv.Value.GetString() ?? ""; }
            }
            list.Add(new AgentMember(m.GetProperty("name").GetString()!, m.GetProperty("addr").GetString()!,
                m.GetProperty("port").GetInt32(), tags, m.GetProperty("status").GetString()!));
        }
        return list;
    }

    public async Task<AgentMember?> MemberAsync(string name) => (await MembersAsync()).FirstOrDefault(m => m.Name == name);

    /// <summary>SIGKILL: the agent vanishes without a leave.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) { return; }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGINT: graceful leave, then exit.</summary>
    public async Task InterruptAsync()
    {
        if (_process.HasExited) { return; }
        Signal(_process.Id, SigInt);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
    }

    public static int FreePort()
    {
        for (var i = 0; i < 50; i++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
