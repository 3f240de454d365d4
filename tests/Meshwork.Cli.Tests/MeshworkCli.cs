using System.Diagnostics;
using System.Text;

namespace Meshwork.Cli.Tests;

/// <summary>Runs the real <c>meshwork</c> binary: one-shot commands, or a long-running agent that is always killed on dispose.</summary>
internal sealed class MeshworkCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MeshworkCli(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains("control API on ", StringComparison.Ordinal)) _ready.TrySetResult(line);
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public int GossipPort { get; private set; }
    public string RpcAddr { get; private set; } = "";
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private static string Binary
    {
        get
        {
            var dll = Path.Combine(FindRoot(), "src", "Meshwork.Cli", "bin", "Release", "net10.0", "meshwork.dll");
            if (!File.Exists(dll)) dll = Path.Combine(FindRoot(), "src", "Meshwork.Cli", "bin", "Debug", "net10.0", "meshwork.dll");
            return dll;
        }
    }

    private static ProcessStartInfo Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Binary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Starts an agent on fresh ports; retries with new ports if one was taken between choosing and binding.</summary>
    public static async Task<MeshworkCli> StartAgentAsync(string node, params string[] extra)
    {
        string lastLog = "";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int gossip = Meshwork.Serf.Tests.SerfAgent.FreePort();
            int rpc = Meshwork.Serf.Tests.SerfAgent.FreePort();
            var args = new List<string> { "agent", "--node", node, "--bind", $"127.0.0.1:{gossip}", "--rpc-addr", $"127.0.0.1:{rpc}", "--log-level", "Warning" };
            args.AddRange(extra);
            var agent = new MeshworkCli(Process.Start(Start(args))!) { GossipPort = gossip, RpcAddr = $"127.0.0.1:{rpc}" };
            var exited = agent._process.WaitForExitAsync();
            var first = await Task.WhenAny(agent._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
            if (first == agent._ready.Task) return agent;
            lastLog = agent.Log;
            await agent.DisposeAsync();
        }
        throw new InvalidOperationException("meshwork agent did not start:\n" + lastLog);
    }

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = Process.Start(Start(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("not inside the repository");
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
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
