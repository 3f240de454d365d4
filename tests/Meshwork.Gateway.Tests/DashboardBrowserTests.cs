using System.Text;
using Microsoft.Playwright;

namespace Meshwork.Gateway.Tests;

/// <summary>
/// The dashboard in a real headless browser (Debian's chromium driven by Playwright) while a real serf agent joins the
/// dashboard's node and is then killed. Screenshots are kept under .test-logs/ as test artifacts.
/// </summary>
[Trait("Category", "Interop")]
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const float Wait = 60_000; // ms: failure detection plus rendering on a loaded 2-core machine

    private static string Artifact(string name)
    {
        var dir = Path.Combine(Repository.Root, ".test-logs");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    [Fact]
    public async Task The_page_shows_a_member_that_joins_and_then_shows_it_failed_after_it_is_killed()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (test.sh does)");
        await using var f = await DashboardFixture.StartAsync();
        using (var r = await f.Http.PostAsync("/rpc/shop/Place", new StringContent("""{"item":"tea","quantity":1}""", Encoding.UTF8, "application/json")))
        {
            r.EnsureSuccessStatusCode();
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        await page.GotoAsync(new Uri(f.Address, "/dashboard/").ToString());

        await page.Locator("#connection.on").WaitForAsync(new() { Timeout = Wait });
        await page.Locator($"#members tr[data-member='{f.Node.Name}'][data-state='alive']").WaitForAsync(new() { Timeout = Wait });
        await page.Locator("#services tr[data-instance] .breaker-closed").WaitForAsync(new() { Timeout = Wait });
        await page.Locator("#methods tr[data-method='shop/Place'][data-side='client']").First.WaitForAsync(new() { Timeout = Wait });

        // A real serf agent joins the dashboard's node.
        var agentName = "agent-" + Guid.NewGuid().ToString("n")[..6];
        await using var agent = await SerfAgent.StartAsync(agentName, "-tag", "zone=b", $"-join=127.0.0.1:{f.Node.LocalEndPoint.Port}");
        var agentRow = page.Locator($"#members tr[data-member='{agentName}']");
        await page.Locator($"#members tr[data-member='{agentName}'][data-state='alive']").WaitForAsync(new() { Timeout = Wait });
        Assert.Contains("zone=b", await agentRow.InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("#events li[data-kind='member-join']", new() { HasText = agentName }).WaitForAsync(new() { Timeout = Wait });
        Assert.Equal("2 members, 2 alive", await page.Locator("#member-count").InnerTextAsync());
        // Both nodes get a place on the coordinate map once they have pinged each other.
        await page.WaitForFunctionAsync("() => document.getElementById('map').dataset.points === '2'", null, new() { Timeout = Wait });
        await page.Locator($"#members tr[data-member='{agentName}'] .rtt", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("ms$") }).WaitForAsync(new() { Timeout = Wait });
        await page.ScreenshotAsync(new() { Path = Artifact("dashboard-after-join.png"), FullPage = true });

        // Killed without a leave: the node's failure detector declares it failed, and the page shows it.
        await agent.KillAsync();
        await page.Locator($"#members tr[data-member='{agentName}'][data-state='failed']").WaitForAsync(new() { Timeout = Wait });
        await page.Locator("#events li[data-kind='member-failed']", new() { HasText = agentName }).WaitForAsync(new() { Timeout = Wait });
        Assert.Equal("2 members, 1 alive", await page.Locator("#member-count").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Artifact("dashboard-after-kill.png"), FullPage = true });
        Assert.True(new FileInfo(Artifact("dashboard-after-kill.png")).Length > 0);
    }
}
