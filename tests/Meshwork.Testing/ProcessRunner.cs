using System.Diagnostics;

namespace Meshwork.Testing;

/// <summary>Runs a command to completion with a timeout and returns its exit code and output; the process tree is killed on timeout.</summary>
public static class ProcessRunner
{
    /// <summary>Default timeout for one command.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> (each passed as one argument, no shell).</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = StartInfo(file, args);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Start info with both streams redirected and the arguments passed one by one (no shell quoting).</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
