using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>
/// A second whole demo cluster beside DemoTests' would double the load on a 2-core machine and make gossip joins time
/// out; this collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DemoDashboardCollection
{
    public const string Name = "demo-dashboard";
}

/// <summary><c>meshwork demo</c> prints the dashboard's URL and serves it while the demo runs.</summary>
[Collection(DemoDashboardCollection.Name)]
public sealed class DemoDashboardTests
{
    [Fact]
    public async Task The_demo_prints_the_dashboard_url_and_the_dashboard_shows_the_cluster_and_its_calls()
    {
        await using var demo = MeshworkCli.Start("demo", "--nodes", "2", "--calls", "100", "--linger", "120");
        var line = await demo.WaitForLineAsync(l => l.StartsWith("Dashboard: ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var url = Regex.Match(line, @"http://127\.0\.0\.1:\d+/dashboard/").Value;
        Assert.False(string.IsNullOrEmpty(url), line);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Eventually.Timeout };

        Assert.Contains("<canvas id=\"map\"", await http.GetStringAsync(""), StringComparison.Ordinal);
        await demo.WaitForLineAsync(l => l.Contains("stay up for", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
        var snapshot = await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync("api/snapshot")).RootElement.Clone(),
            s => s.GetProperty("methods").EnumerateArray().Any(m => m.GetProperty("method").GetString() == "Greet" && m.GetProperty("calls").GetInt64() >= 100)
                && s.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("name").GetString() == "node-3" && m.GetProperty("status").GetString() == "failed"),
            "the Greet calls in the dashboard's statistics, and the killed node-3 shown as failed once gossip declared it dead");
        var members = snapshot.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("status").GetString());
        Assert.Equal("alive", members["demo-client"]);
        Assert.Equal("alive", members["node-1"]);
        var service = Assert.Single(snapshot.GetProperty("services").EnumerateArray());
        Assert.Equal("Demo", service.GetProperty("name").GetString());
        Assert.Contains(service.GetProperty("instances").EnumerateArray(), i => i.GetProperty("breaker").GetString() is "closed" or "open" or "half_open");
    }

    [Fact]
    public async Task The_demo_shows_a_live_status_of_members_calls_and_breakers_while_it_runs()
    {
        // One in-process node and the separate node-2, which the demo kills; the linger keeps the status going after detection.
        await using var demo = MeshworkCli.Start("demo", "--nodes", "1", "--calls", "50", "--status-interval", "0.5", "--linger", "3");
        int code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(180));
        Assert.True(code == 0, demo.Log);

        // Stdout is a pipe here, so the status comes as plain lines: members | calls | breakers.
        var status = demo.Log.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("[status] ", StringComparison.Ordinal)).ToList();
        Assert.True(status.Count >= 2, demo.Log);
        var calls = Regex.Match(string.Join("\n", status), @"calls \(client, last 10 s\): Demo/Greet (\d+\.\d) calls/s, (\d+\.\d) errors/s, p99 (\d+\.\d\d) ms");
        Assert.True(calls.Success, string.Join("\n", status));
        Assert.True(double.Parse(calls.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, calls.Value);
        Assert.Contains(status, l => l.Contains("members: demo-client alive, node-1 alive, node-2 alive", StringComparison.Ordinal));
        Assert.Matches(@"breakers: 127\.0\.0\.1:\d+ closed", string.Join("\n", status));
        // After the kill -9, the status follows gossip: node-2 failed, and only node-1's instance is left to call.
        var last = status[^1];
        Assert.Contains("members: demo-client alive, node-1 alive, node-2 failed", last);
        Assert.Matches(@"\| breakers: 127\.0\.0\.1:\d+ closed$", last);
    }
}
