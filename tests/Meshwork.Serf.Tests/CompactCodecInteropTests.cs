using System.Text;
using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Tests;

/// <summary>The compact codec between Meshwork nodes in a cluster that also has a real serf agent.</summary>
public class CompactCodecInteropTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Compact_codec_between_Meshwork_nodes_keeps_a_real_serf_agent_working()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        var a = Cluster.StartNode(Cluster.UniqueName("cmp-a"), configure: o => o.GossipCodec = GossipCodec.Compact);
        var b = Cluster.StartNode(Cluster.UniqueName("cmp-b"), configure: o => o.GossipCodec = GossipCodec.Compact);
        await using (a)
        await using (b)
        {
            await using var sinkA = new EventSink(a);
            await using var sinkB = new EventSink(b);
            await a.JoinAsync([agent.EndPoint]);
            await b.JoinAsync([agent.EndPoint]);
            await Eventually.TrueAsync(async () => (await agent.MembersAsync()).Count(m => m.Status == "alive") == 3, "the agent sees all three alive");
            await Eventually.TrueAsync(() => a.Member(b.Name)?.Status == MemberStatus.Alive && b.Member(a.Name)?.Status == MemberStatus.Alive, "the Meshwork nodes see each other");

            // Events from either side reach everyone.
            a.UserEvent("from-mesh", Encoding.UTF8.GetBytes("compact"), coalesce: false);
            var (code, _, err) = await agent.CliAsync("event", "-coalesce=false", "from-agent", "msgpack");
            Assert.True(code == 0, err);
            await Eventually.TrueAsync(() => sinkB.UserEvents.Any(e => e.Name == "from-mesh") && sinkB.UserEvents.Any(e => e.Name == "from-agent")
                && sinkA.UserEvents.Any(e => e.Name == "from-agent"), "both events reached the Meshwork nodes");
            await Eventually.TrueAsync(() => agent.Log.Contains("Received event: user-event: from-mesh", StringComparison.Ordinal), "the agent received the Meshwork event");

            // The Meshwork nodes spoke compact to each other, and the agent never got a datagram it could not read.
            var codecA = Assert.IsType<CompactGossipCodec>(a.Gossip.TransformDelegate);
            var codecB = Assert.IsType<CompactGossipCodec>(b.Gossip.TransformDelegate);
            await Eventually.TrueAsync(() => codecA.EncodedPackets > 0 && codecB.DecodedPackets > 0 && codecB.EncodedPackets > 0 && codecA.DecodedPackets > 0, "compact datagrams both ways");
            Assert.True(codecA.CompactBytes < codecA.MsgPackBytes);

            Assert.DoesNotContain("not supported", agent.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("Failed to decode", agent.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("incompatible", agent.Log, StringComparison.Ordinal);
            Assert.All(await agent.MembersAsync(), m => Assert.Equal("alive", m.Status));
            Assert.Equal(0, a.MalformedInput.Counters.Total + b.MalformedInput.Counters.Total);
        }
    }
}
