using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Serf;

namespace Meshwork.Diagnostics;

/// <summary>
/// Observable instruments of gossip membership on the <see cref="MeshworkTelemetry.GossipMeterName"/> meter, read from
/// the counters every node keeps (members by state, failure-detector and packet totals, malformed input by kind) only
/// when a listener collects. Each measurement carries the local node's name as <c>meshwork.node</c>.
/// </summary>
public static class GossipMetrics
{
    /// <summary>Attribute naming the local node.</summary>
    public const string NodeAttribute = "meshwork.node";

    /// <summary>Attribute naming a member state (alive, leaving, left, failed).</summary>
    public const string StateAttribute = "meshwork.member.state";

    /// <summary>Attribute naming a packet direction (receive, transmit), as in the OpenTelemetry network conventions.</summary>
    public const string DirectionAttribute = "network.io.direction";

    /// <summary>Attribute naming the kind of malformed input (the constants of the gossip and serf malformed-input kinds).</summary>
    public const string MalformedKindAttribute = "meshwork.malformed.kind";

    private static readonly Meter s_meter = new(MeshworkTelemetry.GossipMeterName, typeof(GossipMetrics).Assembly.GetName().Version?.ToString());
    private static readonly TrackedSet<SerfNode> s_nodes = new();
    private static readonly MemberStatus[] s_states = [MemberStatus.Alive, MemberStatus.Leaving, MemberStatus.Left, MemberStatus.Failed];
    private static readonly string[] s_stateNames = ["alive", "leaving", "left", "failed"];

    static GossipMetrics()
    {
        s_meter.CreateObservableUpDownCounter("meshwork.gossip.members", Members, "{member}", "Members known to the node, by serf state.");
        s_meter.CreateObservableGauge("meshwork.gossip.health_score", () => Each(n => n.Gossip.HealthScore), "{score}",
            "Local health (awareness) score: 0 is healthy; higher means this node missed acks and slowed its failure detection.");
        s_meter.CreateObservableUpDownCounter("meshwork.gossip.pending_broadcasts", () => Each(n => n.Gossip.PendingBroadcasts), "{message}",
            "Membership broadcasts queued for retransmission.");
        s_meter.CreateObservableCounter("meshwork.gossip.probes", () => Each(n => n.Gossip.Statistics.Probes), "{probe}", "Direct probes sent.");
        s_meter.CreateObservableCounter("meshwork.gossip.probes_failed", () => Each(n => n.Gossip.Statistics.ProbesFailed), "{probe}", "Probes that got no ack in time.");
        s_meter.CreateObservableCounter("meshwork.gossip.suspicions", () => Each(n => n.Gossip.Statistics.Suspicions), "{suspicion}", "Members this node started to suspect.");
        s_meter.CreateObservableCounter("meshwork.gossip.refutations", () => Each(n => n.Gossip.Statistics.Refutations), "{refutation}",
            "Accusations about this node that it refuted.");
        s_meter.CreateObservableCounter("meshwork.gossip.packets", Packets, "{packet}", "UDP packets, by direction.");
        s_meter.CreateObservableCounter("meshwork.gossip.bytes", Bytes, "By", "UDP bytes, by direction.");
        s_meter.CreateObservableCounter("meshwork.gossip.malformed_input", Malformed, "{message}", "Malformed input dropped, by kind.");
    }

    /// <summary>Reports on <paramref name="node"/> until the returned handle is disposed.</summary>
    public static IDisposable Track(SerfNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return s_nodes.Add(node);
    }

    private static IEnumerable<Measurement<long>> Each(Func<SerfNode, long> read)
    {
        foreach (var node in s_nodes.Items) yield return new Measurement<long>(read(node), new KeyValuePair<string, object?>(NodeAttribute, node.Name));
    }

    private static IEnumerable<Measurement<long>> Members()
    {
        Span<long> counts = stackalloc long[s_states.Length];
        var result = new List<Measurement<long>>();
        foreach (var node in s_nodes.Items)
        {
            counts.Clear();
            foreach (var member in node.Members())
            {
                int i = Array.IndexOf(s_states, member.Status);
                if (i >= 0) counts[i]++;
            }
            for (int i = 0; i < s_states.Length; i++)
            {
                result.Add(new Measurement<long>(counts[i], new TagList { { NodeAttribute, node.Name }, { StateAttribute, s_stateNames[i] } }));
            }
        }
        return result;
    }

    private static IEnumerable<Measurement<long>> Packets()
    {
        foreach (var node in s_nodes.Items)
        {
            var s = node.Gossip.Statistics;
            yield return new Measurement<long>(s.PacketsReceived, new TagList { { NodeAttribute, node.Name }, { DirectionAttribute, "receive" } });
            yield return new Measurement<long>(s.PacketsSent, new TagList { { NodeAttribute, node.Name }, { DirectionAttribute, "transmit" } });
        }
    }

    private static IEnumerable<Measurement<long>> Bytes()
    {
        foreach (var node in s_nodes.Items)
        {
            var s = node.Gossip.Statistics;
            yield return new Measurement<long>(s.BytesReceived, new TagList { { NodeAttribute, node.Name }, { DirectionAttribute, "receive" } });
            yield return new Measurement<long>(s.BytesSent, new TagList { { NodeAttribute, node.Name }, { DirectionAttribute, "transmit" } });
        }
    }

    private static IEnumerable<Measurement<long>> Malformed()
    {
        foreach (var node in s_nodes.Items)
        {
            foreach (var (kind, count) in node.MalformedInput.Counters.Snapshot())
            {
                yield return new Measurement<long>(count, new TagList { { NodeAttribute, node.Name }, { MalformedKindAttribute, kind } });
            }
        }
    }
}
