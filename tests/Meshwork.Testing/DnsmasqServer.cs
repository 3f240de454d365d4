using System.Diagnostics;

namespace Meshwork.Testing;

/// <summary>One SRV record for <see cref="DnsmasqServer"/> (dnsmasq <c>--srv-host</c>); an empty target means "no service".</summary>
public sealed record DnsSrvRecord(string Name, string Target, int Port, int Priority = 0, int Weight = 0);

/// <summary>One address record for <see cref="DnsmasqServer"/> (a line of its hosts file).</summary>
public sealed record DnsHostRecord(string Name, string Address);

/// <summary>One alias for <see cref="DnsmasqServer"/> (dnsmasq <c>--cname</c>; the target must be a known name).</summary>
public sealed record DnsCnameRecord(string Alias, string Target);

/// <summary>
/// A real dnsmasq (Debian <c>dnsmasq-base</c>) on a free loopback port (UDP and TCP), authoritative for
/// <see cref="Domain"/> so unknown names there get NXDOMAIN. SRV records are command-line flags (a change needs
/// <see cref="RestartAsync"/>, which keeps the port); address records live in a hosts file that dnsmasq re-reads on
/// SIGHUP (<see cref="SetHostsAsync"/>). Ready when it answers a query (asked with <c>dig</c>); always killed on
/// dispose. Tests that start one are interop tests: mark them <c>[Trait("Category", "Interop")]</c>.
/// </summary>
public sealed class DnsmasqServer : IAsyncDisposable
{
    /// <summary>How long a fresh dnsmasq may take to answer.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A name always present, asked to decide readiness.</summary>
    private const string ProbeName = "dnsmasq-ready.probe";

    private readonly string _dir;
    private readonly string _hostsFile;
    private readonly int _ttl;
    private readonly List<DnsCnameRecord> _cnames;
    private RunningProcess? _process;
    private int _hostsGeneration;

    private DnsmasqServer(string dir, string domain, int ttl, List<DnsCnameRecord> cnames)
    {
        _cnames = cnames;
        _dir = dir;
        _hostsFile = Path.Combine(dir, "hosts");
        Domain = domain;
        _ttl = ttl;
    }

    /// <summary>The UDP and TCP port.</summary>
    public int Port { get; private set; }

    /// <summary>The server as <c>127.0.0.1:port</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The domain dnsmasq answers for with authority (NXDOMAIN for unknown names).</summary>
    public string Domain { get; }

    /// <summary>dnsmasq's output so far.</summary>
    public string Log => _process?.Log ?? "";

    /// <summary>Whether dnsmasq is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts dnsmasq with <paramref name="srv"/> and <paramref name="hosts"/>, authoritative for <paramref name="domain"/>,
    /// answering with TTL <paramref name="ttl"/> seconds (dnsmasq's default for its own records is 0). Aliases
    /// (<paramref name="cnames"/>) are kept across restarts.
    /// </summary>
    public static async Task<DnsmasqServer> StartAsync(IEnumerable<DnsSrvRecord> srv, IEnumerable<DnsHostRecord> hosts,
        string domain = "svc.cluster.local", int ttl = 0, IEnumerable<DnsCnameRecord>? cnames = null)
    {
        var dir = Directory.CreateTempSubdirectory("meshwork-dnsmasq-").FullName;
        // dnsmasq drops root privileges to "nobody" and must still read the hosts file on SIGHUP.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var server = new DnsmasqServer(dir, domain, ttl, cnames?.ToList() ?? []);
        try
        {
            server.WriteHosts(hosts);
            await server.LaunchAsync(srv.ToList(), port: 0);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops dnsmasq and starts it again on the same port with new SRV records and the current hosts file.</summary>
    public async Task RestartAsync(IEnumerable<DnsSrvRecord> srv)
    {
        await StopAsync();
        await LaunchAsync(srv.ToList(), Port);
    }

    /// <summary>Replaces the address records and makes dnsmasq re-read them (SIGHUP); returns once it answers from the new file.</summary>
    public async Task SetHostsAsync(IEnumerable<DnsHostRecord> hosts)
    {
        WriteHosts(hosts);
        _process!.Signal(1); // SIGHUP: re-read the hosts file
        string expected = GenerationAddress();
        await Eventually.TrueAsync(async () => (await DigAsync(ProbeName, "A")).Contains(expected, StringComparison.Ordinal),
            $"dnsmasq on {Endpoint} re-read its hosts file");
    }

    /// <summary>Kills dnsmasq (the DNS server goes away; the port stays reserved for <see cref="RestartAsync"/>).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>
    /// How many queries for <paramref name="name"/> (any type) the running dnsmasq has logged: lets a test wait until a
    /// client has asked again instead of guessing with a sleep.
    /// </summary>
    public int QueriesFor(string name) =>
        Log.Split('\n').Count(l => l.Contains("query[", StringComparison.Ordinal) && l.Contains($"] {name} from ", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Waits until every query dnsmasq answered so far is in <see cref="Log"/>: asks a fresh name and waits for that
    /// query's line, which dnsmasq writes after all earlier ones (the log is read asynchronously).
    /// </summary>
    public async Task SyncLogAsync()
    {
        // A name never asked before, so its line cannot be an older one still on its way.
        string marker = $"sync-{Guid.NewGuid():N}.probe";
        await DigAsync(marker, "A");
        await Eventually.TrueAsync(() => QueriesFor(marker) > 0, $"dnsmasq on {Endpoint} logged the query for {marker}");
    }

    /// <summary>Runs <c>dig</c> against this server and returns its short output (one record per line).</summary>
    public async Task<string> DigAsync(string name, string type)
    {
        var (_, stdout, _) = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            name, type, "+short", "+time=1", "+tries=1"], TimeSpan.FromSeconds(10));
        return stdout;
    }

    // The probe's address changes with every hosts-file generation, so a reload is visible in one query.
    private string GenerationAddress() => $"127.0.{_hostsGeneration / 250}.{_hostsGeneration % 250 + 1}";

    private void WriteHosts(IEnumerable<DnsHostRecord> hosts)
    {
        _hostsGeneration++;
        var lines = hosts.Select(h => $"{h.Address} {h.Name}").Append($"{GenerationAddress()} {ProbeName}");
        var temp = _hostsFile + ".tmp";
        File.WriteAllLines(temp, lines);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temp, _hostsFile, overwrite: true);
    }

    private async Task LaunchAsync(List<DnsSrvRecord> srv, int port)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int chosen = port != 0 ? port : FreePort.TcpAndUdp();
            var args = new List<string>
            {
                "--keep-in-foreground", $"--port={chosen}", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=", "--log-facility=-", "--log-queries",
                $"--local=/{Domain}/", $"--local-ttl={_ttl}", $"--addn-hosts={_hostsFile}",
            };
            // An empty target publishes "no service here" (target ".").
            args.AddRange(srv.Select(r => r.Target.Length == 0 ? $"--srv-host={r.Name}" : $"--srv-host={r.Name},{r.Target},{r.Port},{r.Priority},{r.Weight}"));
            args.AddRange(_cnames.Select(c => $"--cname={c.Alias},{c.Target}"));
            var process = RunningProcess.Start("dnsmasq", args);
            _process = process;
            Port = chosen;
            try
            {
                await WaitReadyAsync(process);
                return;
            }
            catch (Exception e)
            {
                last = new InvalidOperationException($"dnsmasq on port {chosen} did not become ready:\n{process.Log}", e);
                await StopAsync();
                // A restart must keep its port (the registry under test points at it): wait for it to be free again.
                if (port != 0) await Task.Delay(200);
            }
        }
        throw last!;
    }

    private async Task WaitReadyAsync(RunningProcess process)
    {
        var sw = Stopwatch.StartNew();
        string expected = GenerationAddress();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"dnsmasq exited with code {process.ExitCode}");
            if ((await DigAsync(ProbeName, "A")).Contains(expected, StringComparison.Ordinal)) return;
            if (sw.Elapsed > ReadyTimeout) throw new TimeoutException($"dnsmasq on {Endpoint} not answering after {ReadyTimeout.TotalSeconds:0} s");
            await Task.Delay(50);
        }
    }

    /// <summary>Kills dnsmasq and deletes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
