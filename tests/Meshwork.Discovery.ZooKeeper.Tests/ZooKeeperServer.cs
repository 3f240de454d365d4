using System.Net.Sockets;
using System.Text;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>
/// A real standalone ZooKeeper 3.8 (Debian <c>zookeeper</c>) on a free loopback port with its own temporary data
/// directory, started by the test and always killed. Ready when it answers the <c>ruok</c> four-letter command with
/// <c>imok</c>. <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> restart it on the same port and data
/// directory, so sessions and nodes survive as they do in a real server restart.
/// </summary>
internal sealed class ZooKeeperServer : IAsyncDisposable
{
    /// <summary>
    /// Server tick. 500 ms (instead of the usual 2 s) so that the shortest session the server grants is 1 s and the
    /// session-expiry tests finish quickly; the longest is set explicitly below.
    /// </summary>
    private const int TickMs = 500;

    private readonly string _dir;
    private RunningProcess? _process;

    private ZooKeeperServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>The longest session the server grants (60 s), so tests can tell a closed session from an expired one.</summary>
    public static readonly TimeSpan MaxSessionTimeout = TimeSpan.FromSeconds(60);

    public string Log => _process?.Log ?? "";

    public static async Task<ZooKeeperServer> StartAsync()
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            // The port can be taken between choosing and binding it: try again on a new one.
            var server = new ZooKeeperServer(Directory.CreateTempSubdirectory("meshwork-zk-").FullName, FreePort.TcpAndUdp());
            try
            {
                await server.StartAgainAsync();
                return server;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                last = e;
                await server.DisposeAsync();
            }
        }
        throw new InvalidOperationException("ZooKeeper did not start after 3 attempts", last);
    }

    /// <summary>Starts the server process (again) on the same port and data directory and waits until it is ready.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("ZooKeeper is already running");
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        var config = Path.Combine(_dir, "zoo.cfg");
        File.WriteAllText(config, string.Join('\n',
            $"tickTime={TickMs}",
            $"dataDir={Path.Combine(_dir, "data")}",
            $"clientPort={Port}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,stat,mntr",
            "minSessionTimeout=1000",
            $"maxSessionTimeout={(int)MaxSessionTimeout.TotalMilliseconds}",
            // Writes still reach the OS before a reply, so a killed (not crashed-kernel) server loses nothing; skipping
            // fsync keeps the tests fast on a loaded disk.
            "forceSync=no",
            ""));
        var classPath = string.Join(':', Directory.GetFiles("/usr/share/java", "*.jar").Order(StringComparer.Ordinal));
        if (_process is not null) await _process.DisposeAsync();
        _process = RunningProcess.Start("java",
        [
            "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.jmx.log4j.disable=true",
            "-cp", classPath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", config,
        ]);
        var process = _process;
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"ZooKeeper exited with {process.ExitCode}: {Tail(process.Log)}");
            return await RuokAsync();
        }, $"ZooKeeper on port {Port} answers imok");
    }

    private static string Tail(string log) => log.Length <= 2000 ? log : log[^2000..];

    /// <summary>Sends the four-letter command ruok and reads the answer (imok when serving).</summary>
    private async Task<bool> RuokAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("ruok"u8.ToArray(), timeout.Token);
            // The server writes its answer and closes the connection: read to the end (at most 16 bytes).
            var answer = new byte[16];
            int total = 0, n;
            while (total < answer.Length && (n = await stream.ReadAsync(answer.AsMemory(total), timeout.Token)) > 0) total += n;
            return Encoding.ASCII.GetString(answer, 0, total) == "imok";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the server (SIGKILL: no goodbye to clients); its data directory stays for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is { } p) await p.KillAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } p) await p.DisposeAsync();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
