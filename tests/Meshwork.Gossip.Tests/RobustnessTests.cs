using System.Net;
using Meshwork.Gossip.Simulation;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Tests;

public class RobustnessTests
{
    private static readonly IPEndPoint From = new(IPAddress.Loopback, 9);

    [Fact]
    public void Garbage_and_mutated_packets_never_escape_the_receive_path()
    {
        var sim = new SimulatedCluster(new SimulationOptions { Nodes = 2, Seed = 1 });
        sim.Bootstrap(2);
        var core = sim.Nodes[0].Machine;
        var valid = new List<byte[]>
        {
            PacketCodec.Encode(new PingMessage(1, "node-00000", [127, 0, 0, 1], 7946, "x")),
            PacketCodec.Encode(new AliveMessage(3, "node-00001", [10, 0, 0, 1], 7946, [0xff, 0x80], [1, 5, 2, 2, 5, 5])),
            PacketCodec.Compound([PacketCodec.EncodeSuspect(new AccusationMessage(1, "node-00001", "x")), PacketCodec.User([3, 0x80])]),
            PacketCodec.AddCrc(PacketCodec.Compress(PacketCodec.EncodeDead(new AccusationMessage(1, "zzz", "x")))),
        };
        var rng = new Random(1234);
        for (var i = 0; i < 20000; i++)
        {
            byte[] packet;
            if (i % 3 == 0)
            {
                packet = new byte[rng.Next(0, 80)];
                rng.NextBytes(packet);
            }
            else
            {
                packet = (byte[])valid[rng.Next(valid.Count)].Clone();
                for (var k = rng.Next(1, 4); k > 0 && packet.Length > 0; k--) { packet[rng.Next(packet.Length)] = (byte)rng.Next(256); }
                if (rng.Next(4) == 0) { packet = packet[..rng.Next(packet.Length + 1)]; }
            }
            core.HandlePacket(From, packet);
        }
        sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.Contains(sim.Nodes[0].Members, m => m.Name == "node-00001");
    }

    [Fact]
    public void Compound_builder_refuses_inputs_that_crash_the_reference_agent()
    {
        Assert.Throws<ArgumentException>(() => PacketCodec.Compound([[1, 2], []]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketCodec.Compound(Enumerable.Range(0, 128).Select(_ => new byte[] { 8, 1 }).ToList()));
        var q = new TransmitLimitedQueue(4, () => 10);
        Assert.Throws<ArgumentException>(() => q.Enqueue([]));
        for (var i = 0; i < 500; i++) { q.Enqueue([8, (byte)i]); }
        Assert.True(q.GetBroadcasts(2, 100000).Count <= PacketCodec.MaxCompoundParts);
    }
}
