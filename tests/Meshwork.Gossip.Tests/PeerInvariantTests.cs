using System.Net;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Simulation;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Tests;

/// <summary>
/// Each input that breaks a memberlist 0.2.2 invariant is dropped at the receive path: counted under its kind, not
/// stored as a member and not queued for gossip. (Against real agents: PoisonInputInteropTests in Meshwork.Serf.Tests.)
/// </summary>
public class PeerInvariantTests
{
    private static readonly IPEndPoint From = new(IPAddress.Loopback, 9);
    private static readonly byte[] Tags = [0xff, 0x80];

    private static byte[] Alive(string name, byte[] addr, ushort port, byte[] meta, byte[]? vsn) =>
        PacketCodec.Encode(new AliveMessage(1, name, addr, port, meta, vsn));

    public static TheoryData<string, string, byte[]> Inputs() => new()
    {
        { "alive Vsn 1 byte", MalformedInputKinds.Vsn, Alive("p1", [127, 0, 0, 1], 7000, Tags, [1]) },
        { "alive Vsn 3 bytes", MalformedInputKinds.Vsn, Alive("p3", [127, 0, 0, 1], 7000, Tags, [1, 5, 2]) },
        { "alive Vsn 5 bytes", MalformedInputKinds.Vsn, Alive("p5", [127, 0, 0, 1], 7000, Tags, [1, 5, 2, 2, 5]) },
        { "alive without Vsn", MalformedInputKinds.Vsn, Alive("p0", [127, 0, 0, 1], 7000, Tags, null) },
        { "alive with PMax 1", MalformedInputKinds.Vsn, Alive("px", [127, 0, 0, 1], 7000, Tags, [1, 1, 1, 2, 5, 5]) },
        { "alive with PCur above PMax", MalformedInputKinds.Vsn, Alive("py", [127, 0, 0, 1], 7000, Tags, [1, 5, 6, 2, 5, 5]) },
        { "alive with 600 bytes of meta", MalformedInputKinds.Meta, Alive("pm", [127, 0, 0, 1], 7000, new byte[600], [1, 5, 2, 2, 5, 5]) },
        { "alive with a 5-byte address", MalformedInputKinds.Address, Alive("pa", [127, 0, 0, 1, 1], 7000, Tags, [1, 5, 2, 2, 5, 5]) },
        { "alive with port 0", MalformedInputKinds.Address, Alive("pp", [127, 0, 0, 1], 0, Tags, [1, 5, 2, 2, 5, 5]) },
        { "alive without a name", MalformedInputKinds.NodeName, Alive("", [127, 0, 0, 1], 7000, Tags, [1, 5, 2, 2, 5, 5]) },
        { "alive with a 600-byte name", MalformedInputKinds.NodeName, Alive(new string('n', 600), [127, 0, 0, 1], 7000, Tags, [1, 5, 2, 2, 5, 5]) },
        { "compound with an empty part", MalformedInputKinds.EmptyMessage, [7, 2, 0, 0, 0, 2, 8, 1] },
        { "compound of 128 parts", MalformedInputKinds.Compound, [7, 128, 8, 1] },
        { "crc over nothing", MalformedInputKinds.EmptyMessage, [12, 0, 0, 0, 0] },
        { "compressed nothing", MalformedInputKinds.EmptyMessage, PacketCodec.Encode(MessageType.Compress, new CompressMessage(0, [0x00, 0x03, 0x02]).Write) },
        { "compression algorithm 1", MalformedInputKinds.Compression, PacketCodec.Encode(MessageType.Compress, new CompressMessage(1, [0x00, 0x03, 0x02]).Write) },
        { "indirect ping to a 3-byte target", MalformedInputKinds.Address, PacketCodec.Encode(new IndirectPingMessage(1, [127, 0, 0], 7000, "x", true, null, 0, "")) },
        { "suspect without a name", MalformedInputKinds.NodeName, PacketCodec.EncodeSuspect(new AccusationMessage(5, "", "x")) },
        { "unknown message type", MalformedInputKinds.UnknownType, [0xee, 1] },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_breaking_a_peer_invariant_is_counted_and_neither_stored_nor_gossiped(string what, string kind, byte[] packet)
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var core = sim.Nodes[0].Machine.Core;
        var members = core.NumNodes;
        var queued = core.Broadcasts.Count;

        core.HandlePacket(From, packet);
        core.HandlePacket(From, PacketCodec.Compound([packet.Length > 0 ? packet : [0xee], PacketCodec.Encode(new NackMessage(1))]));

        Assert.True(core.Malformed.Counters[kind] >= 1, $"{what}: counted as {kind}; got {string.Join(", ", core.Malformed.Counters.Snapshot())}");
        Assert.Equal(members, core.NumNodes);
        Assert.Equal(queued, core.Broadcasts.Count);
    }

    [Fact]
    public void A_valid_alive_is_still_accepted_and_gossiped()
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var core = sim.Nodes[0].Machine.Core;
        var queued = core.Broadcasts.Count;
        core.HandlePacket(From, Alive("fresh", [127, 0, 0, 1], 7000, Tags, [1, 5, 2, 2, 5, 2]));
        Assert.NotNull(core.Find("fresh"));
        Assert.Equal(queued + 1, core.Broadcasts.Count);
        Assert.Equal(0, core.Malformed.Counters.Total);
    }

    [Fact]
    public void Push_pull_with_a_short_Vsn_or_an_unknown_state_is_refused_as_a_whole()
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var core = sim.Nodes[0].Machine.Core;
        var good = new PushNodeState("ok", [127, 0, 0, 1], 7001, Tags, 1, NodeStatus.Alive, [1, 5, 2, 2, 5, 5]);
        var shortVsn = good with { Name = "short", Vsn = [1, 5, 2] };
        var badState = good with { Name = "state", State = (NodeStatus)7 };
        Assert.False(core.IsValidRemote(new PushPullState(true, [good, shortVsn], []), From));
        Assert.False(core.IsValidRemote(new PushPullState(true, [good, badState], []), From));
        Assert.True(core.IsValidRemote(new PushPullState(true, [good], []), From));
        Assert.Equal(1, core.Malformed.Counters[MalformedInputKinds.Vsn]);
        Assert.Equal(1, core.Malformed.Counters[MalformedInputKinds.NodeState]);
    }
}
