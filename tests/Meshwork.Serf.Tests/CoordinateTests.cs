using Meshwork.Serf.Coordinates;

namespace Meshwork.Serf.Tests;

public class CoordinateTests
{
    [Fact]
    public void Initial_ack_payload_matches_the_agent_bytes()
    {
        var ping = new SerfPingDelegate(new CoordinateClient(new VivaldiOptions(), new Random(1)));
        var payload = ping.AckPayload()!;
        Assert.Equal(130, payload.Length);
        var hex = Convert.ToHexStringLower(payload);
        Assert.StartsWith("0184aa41646a7573746d656e74cb0000000000000000a54572726f72cb3ff8000000000000a6486569676874cb3ee4f8b588e368f1a356656398", hex);
    }

    [Fact]
    public void Two_clients_learn_their_distance()
    {
        var o = new VivaldiOptions();
        var a = new CoordinateClient(o, new Random(1));
        var b = new CoordinateClient(o, new Random(2));
        var rtt = TimeSpan.FromMilliseconds(20);
        for (var i = 0; i < 300; i++)
        {
            a.Update("b", b.Coordinate, rtt);
            b.Update("a", a.Coordinate, rtt);
        }
        var est = a.Coordinate.DistanceTo(b.Coordinate);
        Assert.InRange(est.TotalMilliseconds, 15, 25);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Update("b", b.Coordinate, TimeSpan.FromSeconds(11)));
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Coordinates_flow_both_ways_with_a_real_agent()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(() => node.GetCachedCoordinate(agent.Name) is not null, "agent coordinate received in an ack");
        Assert.NotNull(node.EstimateRtt(node.Name, agent.Name));
        await Eventually.TrueAsync(async () => (await agent.CliAsync("rtt", node.Name)).Code == 0, "agent knows our coordinate (serf rtt)");
        var (_, stdout, _) = await agent.CliAsync("rtt", node.Name);
        Assert.Contains("Estimated", stdout, StringComparison.Ordinal);
    }
}
