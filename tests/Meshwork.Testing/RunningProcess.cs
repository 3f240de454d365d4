using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Meshwork.Testing;

/// <summary>
/// A long-running child process (an agent) whose stdout and stderr are collected line by line; tests wait for a
/// line instead of sleeping. Always killed (whole tree) on dispose.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable
{
    /// <summary>SIGINT: ask for a graceful stop.</summary>
    public const int SigInt = 2;

    /// <summary>SIGKILL: the process vanishes without running any shutdown code.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGCONT: resume a frozen process.</summary>
    public const int SigCont = 18;

    /// <summary>SIGSTOP: freeze the process.</summary>
    public const int SigStop = 19;

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    private RunningProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/> (no shell).</summary>
    public static RunningProcess Start(string file, IEnumerable<string> args) => Start(ProcessRunner.StartInfo(file, args));

    /// <summary>
    /// Starts a process from <paramref name="startInfo"/>, which must redirect stdout and stderr (see
    /// <see cref="ProcessRunner.StartInfo"/>); set <c>RedirectStandardInput</c> to hold its stdin open for as long as it runs.
    /// </summary>
    public static RunningProcess Start(ProcessStartInfo startInfo) =>
        new(Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName} did not start"));

    /// <summary>Everything the process printed so far (stdout and stderr interleaved by arrival).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Exit code (only after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Operating-system process id.</summary>
    public int Pid => _process.Id;

    private void OnLine(string? line)
    {
        if (line is null) return;
        List<TaskCompletionSource<string>> hit = [];
        lock (_log)
        {
            _log.AppendLine(line);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    hit.Add(_waiters[i].Seen);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var seen in hit) seen.TrySetResult(line);
    }

    /// <summary>
    /// Waits for the first output line (already printed or still to come) that <paramref name="match"/> accepts.
    /// Fails early if the process exits first, and after <paramref name="timeout"/>.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_log)
        {
            var earlier = _log.ToString().Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
            if (earlier is not null) return earlier;
            _waiters.Add((match, seen));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (first == seen.Task) return await seen.Task;
        // The exit may race the last line: give the output readers the final word.
        if (first == exited && seen.Task.IsCompleted) return await seen.Task;
        throw new TimeoutException(first == exited
            ? $"process exited (code {_process.ExitCode}) before printing the awaited line:\n{Log}"
            : $"awaited line not printed within {timeout.TotalSeconds:0} s:\n{Log}");
    }

    /// <summary>Sends a POSIX signal (see the Sig* constants).</summary>
    public void Signal(int signal)
    {
        if (NativeKill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // POSIX kill(2) directly, so no external kill binary is needed.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    /// <summary>Waits for exit and returns the exit code; throws <see cref="TimeoutException"/>, with what the process
    /// printed, after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"process did not exit within {timeout.TotalSeconds:0} s:\n{Log}");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the whole tree, then waits for exit.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (_process.HasExited) return;
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills the process if it is still running and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
