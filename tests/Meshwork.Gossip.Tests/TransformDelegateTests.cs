using System.Buffers;
using Meshwork.Gossip.Simulation;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Tests;

/// <summary>The compact datagram codec: exact round trips, and its negotiation between nodes on the simulator.</summary>
public class TransformDelegateTests
{
    private static readonly byte[] Localhost = [127, 0, 0, 1];

    private static byte[] Encode(CompactGossipCodec codec, byte[] message)
    {
        var w = new ArrayBufferWriter<byte>();
        Assert.True(codec.TryEncode(message, w));
        return w.WrittenSpan.ToArray();
    }

    private static byte[] Decode(CompactGossipCodec codec, byte[] datagram)
    {
        Assert.Equal(CompactGossipCodec.CompactMessageType, datagram[0]);
        var w = new ArrayBufferWriter<byte>();
        codec.Decode(datagram.AsSpan(1), w);
        return w.WrittenSpan.ToArray();
    }

    public static TheoryData<string> Messages => ["ping", "alive", "compound", "serf-user-event", "opaque-user"];

    private static byte[] Message(string kind)
    {
        var ping = PacketCodec.Encode(new PingMessage(7, "alpha", Localhost, 7946, "beta"));
        var alive = PacketCodec.Encode(new AliveMessage(3, "alpha", Localhost, 7946, [0xff, 0x81, 0xa4, (byte)'r', (byte)'o', (byte)'l', (byte)'e', 0xa3, (byte)'w', (byte)'e', (byte)'b'], [1, 6, 2, 2, 5, 5]));
        // serf user event as the agent sends it: 08 | 03 | {CC, LTime, Name, Payload}
        var userEvent = Hex.Bytes("080384a2434cc3a54c54696d6501a44e616d65a66465706c6f79a75061796c6f6164a868656c6c6f2d7631");
        return kind switch
        {
            "ping" => ping,
            "alive" => alive,
            "compound" => PacketCodec.Compound([ping, alive, userEvent, PacketCodec.EncodeSuspect(new AccusationMessage(2, "gamma", "alpha"))]),
            "serf-user-event" => userEvent,
            _ => PacketCodec.User([0xc1, 0x00, 0xff, 0x12]), // not msgpack at all: carried verbatim
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Compact_codec_round_trips_messages_exactly(string kind)
    {
        var codec = new CompactGossipCodec();
        var message = Message(kind);
        var compact = Encode(codec, message);
        Assert.Equal(message, Decode(codec, compact));
        if (kind != "opaque-user") { Assert.True(compact.Length < message.Length, $"{kind}: {compact.Length} compact bytes for {message.Length} msgpack bytes"); }
    }

    [Fact]
    public void Compact_ping_replaces_key_names_with_ids()
    {
        var codec = new CompactGossipCodec();
        var ping = Message("ping");
        var compact = Encode(codec, ping);
        // 66-byte msgpack ping: the five key names (44 bytes) become five one-byte ids.
        Assert.Equal(ping.Length - 44 + 5 + 1, compact.Length);
        Assert.Equal(Hex.Bytes("e00085"), compact[..3]);
    }

    [Theory]
    [InlineData("00857f")]         // key id 127 is not defined
    [InlineData("0785")]           // truncated compound
    [InlineData("07010a0085")]     // compound part longer than the datagram
    [InlineData("0700")]           // compound with no parts
    [InlineData("8700")]           // a verbatim compound
    [InlineData("00c1")]           // a byte msgpack never uses
    public void Malformed_compact_datagrams_are_refused_with_a_wire_format_error(string hex)
    {
        var codec = new CompactGossipCodec();
        var body = Hex.Bytes(hex);
        Assert.Throws<WireFormatException>(() => codec.Decode(body, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void A_map_key_that_is_a_small_integer_is_sent_verbatim()
    {
        var codec = new CompactGossipCodec();
        var message = Hex.Bytes("08038101a3616263"); // user message whose body is the map {1: "abc"}
        var compact = Encode(codec, message);
        Assert.Equal(message, Decode(codec, compact));
        Assert.Equal(1, codec.VerbatimMessages);
    }

    private static SimulatedCluster Cluster(int nodes, Func<int, bool> compact, int seed = 3)
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = nodes, Seed = seed });
        for (var i = 0; i < nodes; i++)
        {
            if (!compact(i)) { continue; }
            CompactGossipCodec.Advertise(sim.Nodes[i].Machine.Options);
            sim.Nodes[i].Machine.TransformDelegate = new CompactGossipCodec();
        }
        sim.Bootstrap(1);
        for (var i = 1; i < nodes; i++) { sim.Join(sim.Nodes[i], sim.Nodes[0]); }
        return sim;
    }

    private static bool Converged(SimulatedCluster sim) =>
        sim.Nodes.Where(n => !n.Crashed).All(n => n.Members.Count(m => m.Status == NodeStatus.Alive) == sim.Nodes.Count(x => !x.Crashed));

    [Fact]
    public void Nodes_that_announce_the_compact_codec_use_it_between_them_and_msgpack_with_the_others()
    {
        // Nodes 0-3 speak compact, 4 and 5 only msgpack (as a serf agent would).
        var sim = Cluster(6, i => i < 4);
        sim.RunFor(TimeSpan.FromSeconds(30), () => Converged(sim));
        Assert.True(Converged(sim));
        sim.RunFor(TimeSpan.FromSeconds(20));
        sim.Crash(sim.Nodes[5]);
        sim.RunFor(TimeSpan.FromSeconds(60), () => sim.Nodes.Take(5).All(n => n.Members.Single(m => m.Name == "node-00005").Status == NodeStatus.Dead));

        Assert.All(sim.Nodes.Take(5), n => Assert.Equal(NodeStatus.Dead, n.Members.Single(m => m.Name == "node-00005").Status));
        Assert.All(sim.Nodes.Take(4), n =>
        {
            Assert.True(n.Machine.TransformedPacketsSent > 0, $"{n.Name} sent no compact datagram");
            Assert.True(((CompactGossipCodec)n.Machine.TransformDelegate!).DecodedPackets > 0, $"{n.Name} received no compact datagram");
        });
        Assert.Equal(0, sim.Nodes[4].Machine.TransformedPacketsSent);
        // Nobody got a datagram it could not read: the msgpack-only nodes were never sent the compact form.
        Assert.All(sim.Nodes, n => Assert.Equal(0, n.Machine.Core.Malformed.Counters.Total));
    }

    [Fact]
    public void A_compact_cluster_sends_fewer_bytes_than_a_msgpack_one()
    {
        long Bytes(bool compact)
        {
            var sim = Cluster(8, _ => compact, seed: 5);
            sim.RunFor(TimeSpan.FromSeconds(60));
            Assert.True(Converged(sim));
            return sim.BytesSent;
        }

        var msgpack = Bytes(false);
        var compact = Bytes(true);
        Assert.True(compact < msgpack, $"compact {compact} B, msgpack {msgpack} B");
    }
}
