using System.Text.Json;

namespace Meshwork.Cli.Tests;

/// <summary><c>meshwork services</c>: the services and instances of a registry, as a table and as JSON.</summary>
public sealed class ServicesCommandTests
{
    [Fact]
    public async Task Services_lists_a_static_registry_as_a_table_and_as_json()
    {
        string[] registry = ["--instance", "Shop=127.0.0.1:7001", "--instance", "Shop=127.0.0.1:7002", "--instance", "Cart=127.0.0.1:7003",
            "--registry-key", "Services:Shop:1:Weight=5", "--registry-key", "Services:Cart:0:Zone=eu-1"];

        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", .. registry]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Trim().Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Matches(@"^SERVICE\s+ADDRESS\s+NODE\s+VERSION\s+ZONE\s+WEIGHT\s+HEALTH\s+TAGS$", lines[0]);
        Assert.Matches(@"^Cart\s+127\.0\.0\.1:7003\s+-\s+0\.0\.0\s+eu-1\s+100\s+healthy$", lines[1]);
        Assert.Matches(@"^Shop\s+127\.0\.0\.1:7001\s+-\s+0\.0\.0\s+-\s+100\s+healthy$", lines[2]);
        Assert.Matches(@"^Shop\s+127\.0\.0\.1:7002\s+-\s+0\.0\.0\s+-\s+5\s+healthy$", lines[3]);

        (code, stdout, stderr) = await MeshworkCli.RunAsync(["services", "Shop", "--json", .. registry]);
        Assert.True(code == 0, stderr);
        var service = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("services").EnumerateArray());
        Assert.Equal("Shop", service.GetProperty("name").GetString());
        Assert.Equal(["127.0.0.1:7001", "127.0.0.1:7002"], service.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("address").GetString()));
        Assert.Equal(5, service.GetProperty("instances")[1].GetProperty("weight").GetInt32());
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Services_lists_what_a_gossip_cluster_announces()
    {
        await using var cluster = await CallRegistryTests.GossipCluster.StartAsync();
        await using var server = await ShopContract.StartAsync("listed");
        await cluster.RegisterAsync(server, weight: 3);

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("services", "--join", cluster.Seed, "--json");
        Assert.True(code == 0, stderr + stdout);
        var service = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("services").EnumerateArray());
        Assert.Equal("Shop", service.GetProperty("name").GetString());
        var instance = Assert.Single(service.GetProperty("instances").EnumerateArray());
        Assert.Equal(server.BoundEndpoints[0].Display, instance.GetProperty("address").GetString());
        Assert.Equal("host", instance.GetProperty("node").GetString());
        Assert.Equal(3, instance.GetProperty("weight").GetInt32());
        Assert.Equal("healthy", instance.GetProperty("health").GetString());

        (code, stdout, stderr) = await MeshworkCli.RunAsync("services", "--join", cluster.Seed);
        Assert.True(code == 0, stderr);
        Assert.Matches($@"Shop\s+{System.Text.RegularExpressions.Regex.Escape(server.BoundEndpoints[0].Display)}\s+host\s+", stdout);
    }
}
