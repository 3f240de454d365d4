namespace Meshwork.Cli.Tests;

public class DemoTests
{
    [Fact]
    public async Task Demo_runs_a_gossip_discovered_cluster_and_drains_a_node_without_failed_calls()
    {
        var (code, stdout, stderr) = await MeshworkCli.RunAsync("demo", "--nodes", "3", "--calls", "600");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("Client discovered 3 nodes through gossip", stdout);
        Assert.Contains("node-1: 200 calls", stdout);
        Assert.Contains("sum = 5050", stdout);
        Assert.Contains(", 0 failed", stdout);
        Assert.Contains("Demo complete.", stdout);
    }

    [Fact]
    public async Task Demo_rejects_a_bad_node_count()
    {
        var (code, _, stderr) = await MeshworkCli.RunAsync("demo", "--nodes", "0");
        Assert.Equal(2, code);
        Assert.Contains("--nodes", stderr);
    }
}
