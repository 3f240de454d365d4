using Meshwork.Gossip;
using Meshwork.Gossip.Transport;

namespace Meshwork.Serf.Tests;

/// <summary>Meshwork refuses, with a clear ArgumentException, to originate what would break serf peers.</summary>
public class OutgoingInvariantTests
{
    private static SerfNode NewNode(Action<SerfOptions>? configure = null)
    {
        var options = new SerfOptions { Memberlist = new MemberlistOptions { Name = Cluster.UniqueName("out") } };
        configure?.Invoke(options);
        return new SerfNode(options, new InMemoryNetwork().CreateTransport());
    }

    [Theory]
    [InlineData("_serf_install-key")]
    [InlineData("_serf_use-key")]
    [InlineData("_serf_remove-key")]
    public async Task Key_queries_without_a_key_request_are_refused(string name)
    {
        await using var node = NewNode();
        node.Start();
        var e = Assert.Throws<ArgumentException>(() => node.Query(name, []));
        Assert.Contains("empty payload", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_filters_with_empty_names_are_refused()
    {
        await using var node = NewNode();
        node.Start();
        Assert.Throws<ArgumentException>(() => node.Query("q", [], new QueryParams { FilterNodes = ["a", ""] }));
        Assert.Throws<ArgumentException>(() => node.Query("q", [], new QueryParams { FilterTags = new() { [""] = ".*" } }));
        var accepted = node.Query("q", [], new QueryParams { FilterNodes = ["a"], FilterTags = new() { ["role"] = "web" }, Timeout = TimeSpan.FromMilliseconds(50) });
        await accepted.Finished;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void A_serf_protocol_outside_the_announced_range_is_refused(byte version)
    {
        var e = Assert.Throws<ArgumentException>(() => NewNode(o => o.ProtocolVersion = version));
        Assert.Contains("ProtocolVersion", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_version_vector_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new GossipNode(new MemberlistOptions { Name = "v", Vsn = [1, 5, 2, 2, 5] }, new InMemoryNetwork().CreateTransport()));
        Assert.Contains("Vsn", e.Message, StringComparison.Ordinal);
    }
}
