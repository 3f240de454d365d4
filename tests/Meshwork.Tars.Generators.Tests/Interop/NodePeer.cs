using System.Text.Json;
using Meshwork.Testing;

namespace Meshwork.Tars.Generators.Tests.Interop;

/// <summary>
/// The real Node TARS peer of Meshwork.Tars.Tests (tests/Meshwork.Tars.Tests/node: @tars/rpc 2.0.15, @tars/stream 2.0.3,
/// installed by <c>npm ci</c> from test.sh) and this project's Node UserService client (node/user-client.js), which
/// loads the same packages.
/// </summary>
internal static class NodePeer
{
    public static string PackagesDirectory => Path.Combine(Repository.Root, "tests", "Meshwork.Tars.Tests", "node");

    public static string EchoScript => Path.Combine(PackagesDirectory, "tars-peer.js");

    public static string UserClientScript => Path.Combine(Repository.Root, "tests", "Meshwork.Tars.Generators.Tests", "node", "user-client.js");

    public static void EnsureInstalled()
    {
        if (!Directory.Exists(Path.Combine(PackagesDirectory, "node_modules", "@tars", "rpc")))
            throw new InvalidOperationException($"the Node TARS peer is not installed: run 'npm ci' in {PackagesDirectory} (test.sh does)");
    }

    /// <summary>Starts the Node Echo server on a free port; returns it and its endpoint once it printed READY.</summary>
    public static async Task<(RunningProcess Process, string Endpoint)> StartEchoServerAsync()
    {
        EnsureInstalled();
        var process = RunningProcess.Start("node", ["--no-warnings", EchoScript, "server", "--port", "0"]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            return (process, line["READY ".Length..].Trim() + " -t 60000");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one Node client (Echo or UserService script) and returns its last JSON line.</summary>
    public static async Task<JsonElement> RunClientAsync(string script, params string[] args)
    {
        EnsureInstalled();
        var (_, stdout, stderr) = await ProcessRunner.RunAsync("node", ["--no-warnings", script, .. args], TimeSpan.FromSeconds(90), PackagesDirectory);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        if (line is null) throw new InvalidOperationException($"the Node client printed no result. stdout: {stdout} stderr: {stderr}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
