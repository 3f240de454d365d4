using Meshwork.Discovery;
using Meshwork.Governance.Routing;

namespace Meshwork.Governance.Tests;

public class RouterTests
{
    private static ServiceInstance I(string address, string version = "1.0.0", string? zone = null, string? idc = null, InstanceHealth health = InstanceHealth.Healthy) =>
        new("svc", address)
        {
            Version = SemanticVersion.Parse(version),
            Zone = zone,
            Health = health,
            Tags = idc is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["idc"] = idc },
        };

    [Fact]
    public void Tags_versions_and_health_filter()
    {
        var all = new[] { I("a:1", "1.2.0", idc: "lf"), I("b:1", "1.2.0", idc: "hk"), I("c:1", "2.0.0", idc: "lf"), I("d:1", "1.3.0", idc: "lf", health: InstanceHealth.Draining) };
        var route = new RouteOptions { Version = VersionRange.Parse(">=1.2 <2"), Tags = { ["idc"] = "lf" } };
        Assert.Equal(["a:1"], ServiceRouter.Filter(all, route).Select(i => i.Address));
    }

    [Fact]
    public void Zone_preference_falls_back_to_all_zones()
    {
        var all = new[] { I("a:1", zone: "z1"), I("b:1", zone: "z2"), I("c:1", zone: "z2") };
        Assert.Equal(["b:1", "c:1"], ServiceRouter.Filter(all, new RouteOptions { PreferredZone = "z2" }).Select(i => i.Address));
        Assert.Equal(3, ServiceRouter.Filter(all, new RouteOptions { PreferredZone = "z9" }).Count);
    }

    [Fact]
    public void The_explanation_lists_what_was_there()
    {
        var all = new[] { I("a:1", "1.0.0"), I("b:1", "2.0.0") };
        var text = ServiceRouter.Explain("svc", all, new RouteOptions { Version = VersionRange.Parse(">=3") });
        Assert.Contains("2 instances", text, StringComparison.Ordinal);
        Assert.Contains("1.0.0", text, StringComparison.Ordinal);
        Assert.Contains("version >=3", text, StringComparison.Ordinal);
    }
}
