using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.Gossip.Security;

namespace Meshwork.Serf.Tests;

/// <summary>Stream TLS at the serf layer (<see cref="SerfOptions.StreamTls"/>), and what a real serf agent sees of it.</summary>
public class StreamTlsSerfTests
{
    private static readonly X509Certificate2 Ca = TestCertificates.CreateAuthority("meshwork-serf-test-ca");

    private static void UseTls(SerfOptions o) =>
        o.StreamTls = new StreamTlsOptions { Certificate = TestCertificates.IssueNode(Ca, o.NodeName), TrustedAuthorities = [Ca] };

    [Fact]
    public async Task Serf_nodes_with_stream_tls_form_a_cluster_and_carry_user_events()
    {
        await using var a = Cluster.StartNode(Cluster.UniqueName("tls-a"), configure: UseTls);
        await using var b = Cluster.StartNode(Cluster.UniqueName("tls-b"), configure: UseTls);
        await using var sink = new EventSink(a);

        Assert.Equal(1, await b.JoinAsync([a.LocalEndPoint]));
        await Eventually.TrueAsync(() => a.Member(b.Name)?.Status == MemberStatus.Alive && b.Member(a.Name)?.Status == MemberStatus.Alive, "both see each other");
        b.UserEvent("over-tls", Encoding.UTF8.GetBytes("p1"), coalesce: false);
        await Eventually.TrueAsync(() => sink.UserEvents.Any(e => e.Name == "over-tls"), "the user event arrives");

        Assert.True(b.Gossip.Statistics.StreamTls.HandshakesDialed >= 1, "the join was a TLS stream");
        Assert.True(a.Gossip.Statistics.StreamTls.HandshakesAccepted >= 1);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task A_serf_agent_cannot_stream_with_a_tls_node_and_both_sides_say_why()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("tls-node"), configure: UseTls);

        // serf dials the TLS node with a plain push/pull: it gets a memberlist error reply that names the reason.
        var (code, stdout, stderr) = await agent.CliAsync("join", node.LocalEndPoint.ToString());
        Assert.NotEqual(0, code);
        Assert.Contains("requires TLS on gossip streams", stdout + stderr, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => node.Gossip.Statistics.StreamTls.PlainStreamsRefused >= 1, "the node counts the refused plain stream");
        Assert.True(node.MalformedInput.Counters[Gossip.Diagnostics.MalformedInputKinds.StreamTls] >= 1);

        // The TLS node dials serf: serf does not answer a ClientHello, and the error says what that means.
        var error = await Assert.ThrowsAsync<AggregateException>(() => node.JoinAsync([agent.EndPoint]));
        var tls = Assert.IsType<StreamTlsException>(Assert.Single(error.InnerExceptions));
        Assert.Contains("does not speak stream TLS", tls.Message, StringComparison.Ordinal);

        Assert.False(agent.HasExited);
        Assert.Single(await agent.MembersAsync());
        Assert.Null(node.Member(agent.Name));
    }
}
