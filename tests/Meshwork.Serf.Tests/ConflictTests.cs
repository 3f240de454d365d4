using Meshwork.Gossip;
using Meshwork.Gossip.Transport;

namespace Meshwork.Serf.Tests;

public class ConflictTests
{
    private static SerfNode Node(InMemoryNetwork net, string name) => new(new SerfOptions
    {
        Memberlist = new MemberlistOptions
        {
            Name = name,
            GossipInterval = TimeSpan.FromMilliseconds(50),
            ProbeInterval = TimeSpan.FromMilliseconds(300),
            ProbeTimeout = TimeSpan.FromMilliseconds(150),
        },
    }, net.CreateTransport());

    [Fact]
    public async Task Impostor_with_a_taken_name_loses_the_conflict_query_and_shuts_down()
    {
        var net = new InMemoryNetwork();
        await using var alpha = Node(net, "alpha");
        await using var beta = Node(net, "beta");
        await using var gamma = Node(net, "gamma");
        foreach (var n in new[] { alpha, beta, gamma }) { n.Start(); }
        await beta.JoinAsync([alpha.LocalEndPoint]);
        await gamma.JoinAsync([alpha.LocalEndPoint]);
        await Eventually.TrueAsync(() => new[] { alpha, beta, gamma }.All(n => n.Members().Count(m => m.Status == MemberStatus.Alive) == 3), "cluster of three");

        await using var impostor = Node(net, "alpha");
        await using var sink = new EventSink(impostor, answerEcho: false);
        impostor.Start();
        await impostor.JoinAsync([gamma.LocalEndPoint]);

        await Eventually.TrueAsync(() => sink.All.OfType<NameConflictRecord>().Any(), "impostor resolved the conflict");
        var record = sink.All.OfType<NameConflictRecord>().First();
        Assert.True(record.Lost, record.ToString());
        Assert.True(record.Responses >= 2, record.ToString());
        Assert.Equal(alpha.LocalEndPoint, beta.Member("alpha")!.Address is var a ? new System.Net.IPEndPoint(a, beta.Member("alpha")!.Port) : null);
        Assert.Equal(MemberStatus.Alive, beta.Member("alpha")!.Status);
    }
}
