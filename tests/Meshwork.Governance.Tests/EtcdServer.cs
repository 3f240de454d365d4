using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.Governance.Tests;

/// <summary>A real etcd (Debian etcd-server 3.4) on free loopback ports, started by the test and always stopped.</summary>
internal sealed class EtcdServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;

    private EtcdServer(Process process, string dataDir, int clientPort)
    {
        _process = process;
        _dataDir = dataDir;
        Endpoint = $"http://127.0.0.1:{clientPort}";
    }

    public string Endpoint { get; }

    public static async Task<EtcdServer> StartAsync()
    {
        int client = FreePort.TcpAndUdp(), peer = FreePort.TcpAndUdp();
        var dir = Directory.CreateTempSubdirectory("meshwork-etcd-").FullName;
        var psi = new ProcessStartInfo("etcd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--name", "m1", "--data-dir", dir,
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"m1=http://127.0.0.1:{peer}", "--initial-cluster-state", "new",
            "--initial-cluster-token", "meshwork-test", "--log-level", "warn", "--logger", "zap",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new EtcdServer(process, dir, client);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"etcd exited with {process.ExitCode}");
                try
                {
                    return (await http.GetStringAsync(server.Endpoint + "/health")).Contains("true", StringComparison.Ordinal);
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            }, "etcd is healthy");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Kills etcd (the registry goes down).</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDir, true);
        }
        catch (IOException)
        {
        }
    }
}
