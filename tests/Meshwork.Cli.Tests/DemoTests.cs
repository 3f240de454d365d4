using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>
/// The README's first command: <c>meshwork demo</c>, on the library's gossip discovery and governed client, drives every
/// call kind, drains one node through <c>DiscoverableServer</c> and SIGKILLs another with no failed idempotent call.
/// </summary>
public class DemoTests
{
    [Fact]
    public async Task Demo_drives_every_call_kind_drains_a_node_and_fails_over_across_a_kill_9()
    {
        await using var demo = MeshworkCli.Start("demo", "--nodes", "3", "--calls", "600");

        // The node to be killed runs in a process of its own: a real demo-node process, not the demo itself.
        var external = await demo.WaitForLineAsync(l => l.Contains("(separate process)", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        int childPid = int.Parse(Regex.Match(external, @"pid (\d+)").Groups[1].Value);
        Assert.NotEqual(demo.Pid, childPid);
        Assert.Contains("demo-node", File.ReadAllText($"/proc/{childPid}/cmdline").Replace('\0', ' '));

        int code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(120));
        // The live status lines come at their own pace and may fall between the narrative's lines: read the narrative alone.
        string log = string.Join('\n', demo.Log.ReplaceLineEndings("\n").Split('\n').Where(l => !l.StartsWith("[status]", StringComparison.Ordinal)));
        Assert.True(code == 0, log);

        // The library's client with its defaults: P2C-EWMA and fail-over.
        Assert.Contains("Client: GovernedCallInvoker over GossipServiceRegistry; balancer 'p2c'", log);
        Assert.Contains("fail mode FailOver for idempotent calls", log);
        Assert.Contains("Client discovered 4 instances of 'Demo' through gossip", log);

        // Unary: every discovered node answers, and the balancer spreads the concurrent calls over all four.
        for (int n = 1; n <= 4; n++) Assert.Contains($"(v1.0.0, node node-{n}): hello demo, from node-{n}", log);
        var spread = Regex.Matches(log, @"^  (node-\d): (\d+) calls$", RegexOptions.Multiline);
        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], spread.Select(m => m.Groups[1].Value));
        Assert.Equal(600, spread.Sum(m => int.Parse(m.Groups[2].Value)));
        Assert.Contains("600 calls done in", log);
        // Server streaming, client streaming, one-way (delivery confirmed by the servers' own counts), duplex.
        Assert.Matches(@"  node-\d: 3\n  node-\d: 2\n  node-\d: 1\n", log.ReplaceLineEndings("\n"));
        Assert.Contains("sum = 5050", log);
        Assert.Contains("One-way: 10 notifications sent through the balancer without replies; the nodes counted 10 delivered", log);
        Assert.Contains("echoed 'DELTA (from node-", log);
        Assert.Contains("duplex: 4 sent, 4 echoed", log);

        // Graceful drain through DiscoverableServer: the client drops the node while it still serves; nothing is lost.
        Assert.Matches(@"the client dropped node-3 after [\d,]+ ms, while it still served; it now calls node-1, node-2, node-4", log);
        Assert.Matches(@"node-3 drained and closed after [\d,]+ ms", log);
        Assert.Matches(@"\d+ calls succeeded during the drain, 0 failed", log);

        // kill -9: calls reached the node before, gossip found it failed (not left), and no idempotent call failed.
        var before = Regex.Match(log, @"before the kill: (\d+) calls succeeded \((\d+) on node-4\), 0 failed");
        Assert.True(before.Success, log);
        Assert.True(int.Parse(before.Groups[2].Value) >= 5, log);
        Assert.Contains("the client dropped node-4; its member list has node-4 as failed", log);
        Assert.Contains("all 3 remaining members (nodes and client) list node-4 as failed", log);
        Assert.Matches(@"between the kill and detection: \d+ calls succeeded, 0 failed", log);
        Assert.Matches(@"after detection: \d{3,} calls succeeded, 0 failed; the client calls node-1, node-2", log);
        Assert.Matches(@"=> 0 failed idempotent calls across the kill -9 \(\d+ succeeded\)", log);
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
