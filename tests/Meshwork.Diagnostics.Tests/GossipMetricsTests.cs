using System.Net;
using System.Net.Sockets;
using Meshwork.Gossip;
using Meshwork.Serf;

namespace Meshwork.Diagnostics.Tests;

[Collection(TelemetryCollection.Name)]
public sealed class GossipMetricsTests
{
    private static SerfNode StartNode(string name)
    {
        var node = new SerfNode(new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = name, BindAddress = IPAddress.Loopback, BindPort = 0 },
            LeavePropagateDelay = TimeSpan.FromMilliseconds(200),
        });
        node.Start();
        return node;
    }

    [Fact]
    public async Task Members_probes_packets_and_malformed_input_are_observed_from_the_node()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.GossipMeterName);
        string name = "g-" + Guid.NewGuid().ToString("n")[..6];
        await using var a = StartNode(name);
        await using var b = StartNode(name + "-b");
        using var tracking = GossipMetrics.Track(a);
        await b.JoinAsync([a.LocalEndPoint]);
        await Eventually.TrueAsync(() => a.Members().Count(m => m.Status == MemberStatus.Alive) == 2, "both nodes alive");
        await Eventually.TrueAsync(() => a.Gossip.Statistics.Probes > 0, "a probed b");

        // Garbage on the gossip port: dropped and counted as malformed input.
        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            await udp.SendAsync(new byte[] { 0xEE, 1, 2, 3 }, a.LocalEndPoint);
        }
        await Eventually.TrueAsync(() => a.MalformedInput.Counters.Total > 0, "a counted the garbage");

        metrics.Collect();
        bool Mine(MetricRecorder.Point p) => p.Tag(GossipMetrics.NodeAttribute) == name;
        Assert.Equal(2, metrics.Sum("meshwork.gossip.members", p => Mine(p) && p.Tag(GossipMetrics.StateAttribute) == "alive"));
        Assert.Equal(0, metrics.Sum("meshwork.gossip.members", p => Mine(p) && p.Tag(GossipMetrics.StateAttribute) == "failed"));
        Assert.True(metrics.Sum("meshwork.gossip.probes", Mine) > 0);
        Assert.True(metrics.Sum("meshwork.gossip.packets", p => Mine(p) && p.Tag(GossipMetrics.DirectionAttribute) == "receive") > 0);
        Assert.True(metrics.Sum("meshwork.gossip.bytes", p => Mine(p) && p.Tag(GossipMetrics.DirectionAttribute) == "transmit") > 0);
        Assert.True(metrics.Sum("meshwork.gossip.malformed_input", Mine) >= 1);
        Assert.Single(metrics.Of("meshwork.gossip.health_score"), Mine);
    }

    [Fact]
    public async Task A_vanished_member_shows_as_failed_probes_and_a_suspicion()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.GossipMeterName);
        await using var a = StartNode("f-" + Guid.NewGuid().ToString("n")[..6]);
        var b = StartNode(a.Name + "-b");
        using var tracking = GossipMetrics.Track(a);
        await b.JoinAsync([a.LocalEndPoint]);
        await Eventually.TrueAsync(() => a.Members().Count(m => m.Status == MemberStatus.Alive) == 2, "joined");
        await b.DisposeAsync(); // stops without a leave: a must detect the failure

        await Eventually.TrueAsync(() => a.Members().Any(m => m.Status == MemberStatus.Failed), "a declared b failed");
        metrics.Collect();
        bool Mine(MetricRecorder.Point p) => p.Tag(GossipMetrics.NodeAttribute) == a.Name;
        Assert.Equal(1, metrics.Sum("meshwork.gossip.members", p => Mine(p) && p.Tag(GossipMetrics.StateAttribute) == "failed"));
        Assert.True(metrics.Sum("meshwork.gossip.probes_failed", Mine) > 0);
        Assert.True(metrics.Sum("meshwork.gossip.suspicions", Mine) > 0);
        Assert.Equal(0, metrics.Sum("meshwork.gossip.refutations", Mine));
    }
}
