using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>Bad settings fail with an error that names them.</summary>
public sealed class ZooKeeperConfigurationTests
{
    private static DiscoveryConfigurationException Refused(params (string Key, string Value)[] values)
    {
        var data = new Dictionary<string, string?> { ["Registry:Type"] = "zookeeper", ["Registry:ConnectString"] = "127.0.0.1:2181" };
        foreach (var (k, v) in values) data["Registry:" + k] = v;
        var section = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("Registry");
        return Assert.Throws<DiscoveryConfigurationException>(() => new ServiceRegistryProviders(new ZooKeeperRegistryProvider()).Create(section));
    }

    [Theory]
    [InlineData("ConnectString", "", "missing")]
    [InlineData("ConnectString", "zk1:2181/chroot", "chroot")]
    [InlineData("ConnectString", "zk1:99999", "invalid port")]
    [InlineData("ConnectString", "::1:2181", "brackets")]
    [InlineData("Root", "meshwork", "must start with '/'")]
    [InlineData("Root", "/a//b", "empty segment")]
    [InlineData("Root", "/", "below '/'")]
    [InlineData("SessionTimeout", "soon", "not a positive duration")]
    [InlineData("SessionTimeout", "500ms", "at least 1 s")]
    [InlineData("RequestTimeout", "-1s", "not a positive duration")]
    [InlineData("ConnectTimeout", "0s", "not a positive duration")]
    [InlineData("MaxPacketSize", "1k", "whole number")]
    [InlineData("MaxPacketSize", "1024", "below 65536")]
    [InlineData("MaxInFlightRequests", "0", "at least 1")]
    [InlineData("ReconnectMax", "1m", "must not exceed SessionTimeout")]
    public void A_bad_value_names_its_key(string key, string value, string problem)
    {
        var error = Refused((key, value));
        Assert.Equal("Registry:" + key, error.Key);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Good_values_are_all_read()
    {
        var data = new Dictionary<string, string?>
        {
            ["R:ConnectString"] = "zk1, zk2:2182,[::1]:2183",
            ["R:Root"] = "/x/y",
            ["R:SessionTimeout"] = "00:00:20",
            ["R:RequestTimeout"] = "3s",
            ["R:ConnectTimeout"] = "750ms",
            ["R:ReconnectInitial"] = "50ms",
            ["R:ReconnectMax"] = "4s",
            ["R:MaxPacketSize"] = "1048576",
            ["R:MaxInFlightRequests"] = "64",
        };
        var o = ZooKeeperRegistryProvider.ReadOptions(new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("R"));
        Assert.Equal(["zk1:2181", "zk2:2182", "[::1]:2183"], o.Hosts.Select(h => h.ToString()));
        Assert.Equal("/x/y", o.Root);
        Assert.Equal(TimeSpan.FromSeconds(20), o.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(50), o.ReconnectInitial);
        Assert.Equal(TimeSpan.FromSeconds(4), o.ReconnectMax);
        Assert.Equal(1048576, o.MaxPacketSize);
        Assert.Equal(64, o.MaxInFlightRequests);
    }

    [Fact]
    public void Invalid_options_name_the_setting_when_constructing_the_registry()
    {
        var error = Assert.Throws<ArgumentException>(() => new ZooKeeperServiceRegistry(new ZooKeeperDiscoveryOptions { ConnectString = "127.0.0.1:2181", RequestTimeout = TimeSpan.Zero }));
        Assert.Contains("ZooKeeperDiscoveryOptions.RequestTimeout", error.Message);
    }
}
