using System.Diagnostics;
using System.Net;

namespace Meshwork.Cli.Demo;

/// <summary>A demo node running as a separate <c>meshwork demo-node</c> process, which the demo can SIGKILL.</summary>
internal sealed class DemoNodeProcess : IAsyncDisposable
{
    /// <summary>How long a child process may take to start, bind and join (a cold .NET start on a loaded machine).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private DemoNodeProcess(string name, Process process, string readyLine)
    {
        Name = name;
        _process = process;
        ReadyLine = readyLine;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>What the child printed when it was ready (its addresses).</summary>
    public string ReadyLine { get; }

    public bool HasExited => _process.HasExited;

    public static async Task<DemoNodeProcess> StartAsync(string name, IPEndPoint seed, CancellationToken ct)
    {
        var psi = SelfStartInfo();
        foreach (var a in new[] { DemoNodeCommand.Name, "--name", name, "--join", seed.ToString() }) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true; // held open by us: the child exits when we are gone
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.StartsWith(DemoNodeCommand.ReadyPrefix, StringComparison.Ordinal)) ready.TrySetResult(line[DemoNodeCommand.ReadyPrefix.Length..].Trim());
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(StartTimeout);
        var first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(limit.Token));
        if (first != ready.Task)
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            string log;
            lock (output) log = output.ToString();
            throw new InvalidOperationException($"demo node process {name} did not become ready within {StartTimeout.TotalSeconds:0} s:\n{log}");
        }
        return new DemoNodeProcess(name, process, await ready.Task);
    }

    /// <summary>
    /// How to start this same program again: the apphost or native binary directly, or <c>dotnet meshwork.dll</c>
    /// when running under the dotnet host.
    /// </summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the running executable");
        string entry = Environment.GetCommandLineArgs()[0];
        var psi = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase) && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            psi.ArgumentList.Add(entry);
        }
        return psi;
    }

    /// <summary>SIGKILL (what <c>kill -9</c> sends): the process ends at once, without leaving gossip or closing calls.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: false); // SIGKILL on Unix
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
