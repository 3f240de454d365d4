using System.Diagnostics;

namespace Meshwork.Bench;

/// <summary>
/// A benchmark server in its own process; it prints "READY address", answers STATS lines on stdin with its allocation
/// counters (see bench/Shared/ServerControl.cs) and exits when its stdin closes.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<ServerProcess> StartAsync(string dll, params string[] args)
    {
        if (!File.Exists(dll)) throw new FileNotFoundException($"benchmark server not built: {dll} (run bench/run.sh, which builds everything in Release)");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException($"{dll} exited before it was ready");
            if (line.StartsWith("READY ", StringComparison.Ordinal)) return new ServerProcess(process, line["READY ".Length..].Trim());
        }
    }

    /// <summary>Asks the server for its allocation and GC counters (one stdin/stdout round trip).</summary>
    public async Task<ServerStats> GetStatsAsync()
    {
        var f = (await CommandAsync("STATS", "STATS ")).Split(' ');
        return new ServerStats(long.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), ProcessCounters.FromStatsFields(f, 5));
    }

    /// <summary>
    /// With --alloc-sample: <paramref name="print"/> false forgets the allocation samples so far; true makes the server
    /// print the sampled allocations by type since the last call on its stderr (which is this console).
    /// </summary>
    public Task SampledAllocationsAsync(bool print) => CommandAsync(print ? "ALLOCS" : "ALLOCS-RESET", "ALLOCS done");

    private async Task<string> CommandAsync(string command, string replyPrefix)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("benchmark server exited");
            if (line.StartsWith(replyPrefix, StringComparison.Ordinal)) return line;
            if (line.StartsWith("ERROR ", StringComparison.Ordinal)) throw new InvalidOperationException($"benchmark server: {line}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>A server's counters since its start: bytes allocated (precise), collections per generation, CPU, work items and context switches.</summary>
internal readonly record struct ServerStats(long AllocatedBytes, int Gen0, int Gen1, int Gen2, ProcessCounters Process);
