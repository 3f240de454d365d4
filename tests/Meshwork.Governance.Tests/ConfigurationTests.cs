using Meshwork.Discovery;
using Meshwork.Governance.Resilience;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Governance.Tests;

public class ConfigurationTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Meshwork:Client");

    [Fact]
    public void A_full_section_is_read()
    {
        var options = GovernanceConfiguration.Read(Section(new()
        {
            ["Meshwork:Client:Defaults:FailMode"] = "failfast",
            ["Meshwork:Client:Services:orders:Version"] = ">=1.2 <2",
            ["Meshwork:Client:Services:orders:Tags:idc"] = "lf",
            ["Meshwork:Client:Services:orders:Zone"] = "a",
            ["Meshwork:Client:Services:orders:Balancer"] = "consistent-hash",
            ["Meshwork:Client:Services:orders:RetryBudget:Ratio"] = "0.2",
            ["Meshwork:Client:Services:orders:Methods:Get:FailMode"] = "hedging",
            ["Meshwork:Client:Services:orders:Methods:Get:HedgeDelay"] = "30ms",
            ["Meshwork:Client:Services:orders:Methods:Get:Timeout"] = "2s",
            ["Meshwork:Client:Services:orders:CircuitBreaker:BreakDuration"] = "30s",
            ["Meshwork:Client:Services:orders:RateLimit:PermitsPerSecond"] = "500",
            ["Meshwork:Client:Services:orders:RateLimit:Burst"] = "100",
            ["Meshwork:Client:Services:other:CircuitBreaker:Enabled"] = "false",
        }));
        var orders = options.For("orders");
        Assert.True(orders.Route.Version!.Contains(new SemanticVersion(1, 5, 0)));
        Assert.Equal("lf", orders.Route.Tags["idc"]);
        Assert.Equal("a", orders.Route.PreferredZone);
        Assert.Equal("consistent-hash", orders.Balancer);
        Assert.Equal(0.2, orders.RetryBudgetRatio);
        Assert.Equal(FailMode.FailFast, orders.Calls.FailMode);
        Assert.Equal(FailMode.FailBackup, orders.For("Get").FailMode);
        Assert.Equal(TimeSpan.FromMilliseconds(30), orders.For("Get").HedgeDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), orders.For("Get").Timeout);
        Assert.Equal(FailMode.FailFast, options.For("other").Calls.FailMode);
        Assert.Equal(TimeSpan.FromSeconds(30), orders.CircuitBreaker!.BreakDuration);
        Assert.Equal(500, orders.RateLimit!.PermitsPerSecond);
        Assert.Equal(100, orders.RateLimit.Burst);
        Assert.Null(options.For("other").CircuitBreaker);
        options.Validate();
    }

    [Theory]
    [InlineData("Meshwork:Client:Services:orders:Version", ">=1.x.2", "follows a wildcard")]
    [InlineData("Meshwork:Client:Services:orders:Balancer", "fastest", "unknown balancer 'fastest'")]
    [InlineData("Meshwork:Client:Services:orders:Balancer", "nearest", "RTT estimator")]
    [InlineData("Meshwork:Client:Services:orders:FailMode", "failsometimes", "unknown fail mode")]
    [InlineData("Meshwork:Client:Services:orders:Methods:Get:MaxAttempts", "0", "between 1 and 10")]
    [InlineData("Meshwork:Client:Services:orders:Methods:Get:HedgeDelay", "soon", "positive duration")]
    [InlineData("Meshwork:Client:Services:orders:RetryBudget:Ratio", "1.5", "between 0 and 1")]
    [InlineData("Meshwork:Client:Defaults:RetryNonIdempotent", "maybe", "true or false")]
    [InlineData("Meshwork:Client:ResolveTimeout", "-1s", "positive duration")]
    [InlineData("Meshwork:Client:Services:orders:CircuitBreaker:FailureRatio", "2", "between 0.01 and 1")]
    [InlineData("Meshwork:Client:Services:orders:CircuitBreaker:Enabled", "sometimes", "true or false")]
    [InlineData("Meshwork:Client:Services:orders:RateLimit:PermitsPerSecond", "-5", "between")]
    [InlineData("Meshwork:Client:Services:orders:RateLimit:Burst", "10", "needs RateLimit:PermitsPerSecond")]
    public void Bad_values_name_their_key(string key, string value, string problem)
    {
        var e = Assert.Throws<DiscoveryConfigurationException>(() => GovernanceConfiguration.Read(Section(new() { [key] = value })));
        Assert.Equal(key, e.Key);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Registry:Services:orders:0:Weight", "-3", "Registry:Services:orders:0:Weight")]
    [InlineData("Registry:Services:orders:0:Version", "1.x", "Registry:Services:orders:0:Version")]
    public void Static_registry_values_name_their_key(string key, string value, string expectedKey)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Services:orders:0:Address"] = "127.0.0.1:7000",
            [key] = value,
        }).Build();
        var e = Assert.Throws<DiscoveryConfigurationException>(() => StaticServiceRegistry.FromConfiguration(config.GetSection("Registry")));
        Assert.Equal(expectedKey, e.Key);
    }

    [Fact]
    public async Task Static_registry_reads_instances()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Services:orders:0:Address"] = "127.0.0.1:7000",
            ["Registry:Services:orders:0:Version"] = "1.2.3",
            ["Registry:Services:orders:0:Weight"] = "50",
            ["Registry:Services:orders:0:Tags:idc"] = "lf",
            ["Registry:Services:orders:1:Address"] = "127.0.0.1:7001",
        }).Build();
        await using var registry = StaticServiceRegistry.FromConfiguration(config.GetSection("Registry"));
        var orders = await registry.ResolveAsync("orders");
        Assert.Equal(2, orders.Count);
        var first = orders.Single(o => o.Address.EndsWith("7000", StringComparison.Ordinal));
        Assert.Equal(new SemanticVersion(1, 2, 3), first.Version);
        Assert.Equal(50, first.Weight);
        Assert.Equal("lf", first.Tags["idc"]);
        var missing = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["R:Services:orders:0:Weight"] = "5" }).Build();
        Assert.Equal("R:Services:orders:0:Address", Assert.Throws<DiscoveryConfigurationException>(() => StaticServiceRegistry.FromConfiguration(missing.GetSection("R"))).Key);
    }
}
