using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Gateway.Dashboard;

namespace Meshwork.Gateway.Tests;

public sealed class DashboardTests
{
    [Fact]
    public async Task The_snapshot_shows_members_services_breakers_and_method_statistics()
    {
        await using var f = await DashboardFixture.StartAsync();
        for (int i = 0; i < 5; i++)
        {
            using var r = await f.Http.PostAsync("/rpc/shop/Place", new StringContent("""{"item":"tea","quantity":1}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        var snapshot = await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await f.Http.GetStringAsync("/dashboard/api/snapshot")).RootElement.Clone(),
            s => s.TryGetProperty("methods", out var m) && m.EnumerateArray().Any(x => x.GetProperty("method").GetString() == "Place" && x.GetProperty("calls").GetInt64() >= 5),
            "a snapshot counting the five calls");
        Assert.Equal(f.Node.Name, snapshot.GetProperty("node").GetString());
        var self = Assert.Single(snapshot.GetProperty("members").EnumerateArray());
        Assert.Equal("alive", self.GetProperty("status").GetString());
        Assert.Equal("gateway", self.GetProperty("tags").GetProperty("role").GetString());
        Assert.True(self.GetProperty("self").GetBoolean());
        var shop = Assert.Single(snapshot.GetProperty("services").EnumerateArray());
        var instance = Assert.Single(shop.GetProperty("instances").EnumerateArray());
        Assert.Equal(f.Server.BoundEndpoints[0].ToString(), instance.GetProperty("address").GetString());
        Assert.Equal("closed", instance.GetProperty("breaker").GetString());
        var place = snapshot.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("method").GetString() == "Place" && m.GetProperty("side").GetString() == "client");
        Assert.True(place.GetProperty("calls").GetInt64() >= 5); // the statistics are process-wide: parallel tests add their calls
        Assert.True(place.GetProperty("rate").GetDouble() > 0);
        Assert.True(place.GetProperty("p99Ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Pages_get_the_page_assets_and_a_live_stream_and_their_number_is_bounded()
    {
        await using var f = await DashboardFixture.StartAsync(o => o.MaxClients = 1);
        var page = await f.Http.GetStringAsync("/dashboard/");
        Assert.Contains("<canvas id=\"map\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http", page.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal); // no CDN
        Assert.Contains("EventSource", await f.Http.GetStringAsync("/dashboard/app.js"), StringComparison.Ordinal);

        f.Dashboard.Publish("deploy", "v2 rolled out");
        using var stream = await f.Http.GetAsync("/dashboard/api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var seen = new StringBuilder();
        while (!(seen.ToString().Contains("v2 rolled out", StringComparison.Ordinal) && seen.ToString().Contains("event: snapshot", StringComparison.Ordinal)))
        {
            seen.AppendLine(await reader.ReadLineAsync().WaitAsync(Eventually.Timeout));
        }

        using var second = await f.Http.GetAsync("/dashboard/api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("MaxClients", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PathPrefix", "dashboard")]
    [InlineData("RefreshInterval", "0")]
    [InlineData("MaxClients", "0")]
    public void Invalid_dashboard_options_are_refused_with_the_setting_named(string option, string value)
    {
        var options = new DashboardOptions();
        switch (option)
        {
            case "PathPrefix": options.PathPrefix = value; break;
            case "RefreshInterval": options.RefreshInterval = TimeSpan.Zero; break;
            case "MaxClients": options.MaxClients = 0; break;
        }
        Assert.Contains(option, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }
}
