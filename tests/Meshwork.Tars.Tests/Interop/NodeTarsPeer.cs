using System.Text.Json;

namespace Meshwork.Tars.Tests.Interop;

/// <summary>
/// The real Node TARS peer (<c>node/tars-peer.js</c> on @tars/rpc 2.0.15 and @tars/stream 2.0.3, installed by
/// <c>npm ci</c> from test.sh): a server started on a free port (ready when it prints <c>READY</c>), or a client that
/// makes one call and prints one JSON line.
/// </summary>
public sealed class NodeTarsPeer : IAsyncDisposable
{
    public static string Directory => Path.Combine(Repository.Root, "tests", "Meshwork.Tars.Tests", "node");

    private static string Script => Path.Combine(Directory, "tars-peer.js");

    private readonly RunningProcess _process;

    private NodeTarsPeer(RunningProcess process, int port, string transport)
    {
        _process = process;
        Port = port;
        Transport = transport;
    }

    public int Port { get; }

    /// <summary>"tcp", or "udp" when started with <c>--proto udp</c>.</summary>
    public string Transport { get; }

    public string Proxy(string objectName = Echo.EchoService.ObjectName) => $"{objectName}@{Transport} -h 127.0.0.1 -p {Port} -t 60000";

    /// <summary>Everything the peer printed (with --dump: every raw chunk as hex).</summary>
    public string Log => _process.Log;

    public static void EnsureInstalled()
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@tars", "rpc")))
            throw new InvalidOperationException($"the Node TARS peer is not installed: run 'npm ci' in {Directory} (test.sh does)");
    }

    public static async Task<NodeTarsPeer> StartServerAsync(params string[] extra)
    {
        EnsureInstalled();
        var process = RunningProcess.Start("node", ["--no-warnings", Script, "server", "--port", "0", .. extra]);
        try
        {
            string line = await process.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            int port = int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            string transport = line.Split(' ')[1]; // READY <tcp|udp> -h <host> -p <port>
            return new NodeTarsPeer(process, port, transport);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one Node client call and returns its JSON result line.</summary>
    public static async Task<JsonElement> CallAsync(string endpoint, string function, string? argsJson = null, params string[] extra)
    {
        EnsureInstalled();
        var args = new List<string> { "--no-warnings", Script, "call", "--endpoint", endpoint, "--func", function };
        if (argsJson is not null) args.AddRange(["--args", argsJson]);
        args.AddRange(extra);
        var (_, stdout, stderr) = await ProcessRunner.RunAsync("node", args, TimeSpan.FromSeconds(60), Directory);
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        if (line is null) throw new InvalidOperationException($"the Node client printed no result. stdout: {stdout} stderr: {stderr}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Signal(RunningProcess.SigTerm);
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            // Did not stop in time or was already gone: DisposeAsync kills what is left.
        }
        await _process.DisposeAsync();
    }
}
