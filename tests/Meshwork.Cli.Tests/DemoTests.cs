using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>The README's first command: <c>meshwork demo</c> drives every call kind, drains one node and SIGKILLs another.</summary>
public class DemoTests
{
    [Fact]
    public async Task Demo_drives_every_call_kind_drains_a_node_and_survives_a_kill_9()
    {
        await using var demo = MeshworkCli.Start("demo", "--nodes", "3", "--calls", "600");

        // The node to be killed runs in a process of its own: a real demo-node process, not the demo itself.
        var external = await demo.WaitForLineAsync(l => l.Contains("(separate process)", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        int childPid = int.Parse(Regex.Match(external, @"pid (\d+)").Groups[1].Value);
        Assert.NotEqual(demo.Pid, childPid);
        Assert.Contains("demo-node", File.ReadAllText($"/proc/{childPid}/cmdline").Replace('\0', ' '));

        int code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(120));
        string log = demo.Log;
        Assert.True(code == 0, log);
        Assert.Contains("Client discovered 4 nodes through gossip", log);
        Assert.Contains("node-1: 150 calls", log);
        Assert.Contains("node-4: 150 calls", log);
        Assert.Contains("sum = 5050", log);

        // One-way: delivery is confirmed by the server's own count, read back with a unary call.
        Assert.Matches(@"One-way: 10 notifications sent to (node-\d) without replies; \1 counted 10 delivered", log);
        // Duplex: every word came back on the same call.
        Assert.Contains("echoed 'DELTA (from node-", log);
        Assert.Contains("duplex: 4 sent, 4 echoed", log);

        // Graceful drain: the client stops calling the leaving node before it stops serving.
        Assert.Matches(@"the client saw node-3 leave after [\d,]+ ms; it now calls node-1, node-2, node-4", log);
        Assert.Matches(@"\d+ calls succeeded during the drain, 0 failed", log);

        // kill -9: calls reached the node before, gossip found it failed (not left), and nothing failed after that.
        var before = Regex.Match(log, @"before the kill: (\d+) calls succeeded \((\d+) on node-4\), 0 failed");
        Assert.True(before.Success, log);
        Assert.True(int.Parse(before.Groups[2].Value) >= 5, log);
        Assert.Contains("the client's member list has node-4 as failed", log);
        Assert.Contains("all 3 remaining members (nodes and client) list node-4 as failed", log);
        Assert.Matches(@"between the kill and detection: \d+ calls succeeded, \d+ failed", log);
        Assert.Matches(@"after detection: \d{3,} calls succeeded, 0 failed; the client calls node-1, node-2", log);
        Assert.Contains("Demo complete.", log);
        Assert.False(Directory.Exists($"/proc/{childPid}") && File.ReadAllText($"/proc/{childPid}/cmdline").Contains("demo-node", StringComparison.Ordinal),
            "the killed node process is gone");
    }

    [Fact]
    public async Task Demo_rejects_a_bad_node_count()
    {
        var (code, _, stderr) = await MeshworkCli.RunAsync("demo", "--nodes", "0");
        Assert.Equal(2, code);
        Assert.Contains("--nodes", stderr);
    }
}
