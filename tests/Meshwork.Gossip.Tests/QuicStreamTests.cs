using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Gossip.Security;

namespace Meshwork.Gossip.Tests;

/// <summary>
/// The QUIC stream layer (<see cref="MemberlistOptions.StreamQuic"/>). It needs libmsquic, which is not installable on
/// the machine this was written on: there the cluster test is skipped (with the reason) and only the refusal is tested.
/// </summary>
public sealed class QuicStreamTests
{
    private const string NoQuic = "QUIC is not available here (libmsquic is not installed; QuicListener.IsSupported is false), so the QUIC stream layer cannot run";

    private static readonly X509Certificate2 Ca = TestCertificates.CreateAuthority("meshwork-quic-test-ca");

    private static MemberlistOptions Options(string name)
    {
        var o = MemberlistOptions.Lan(name);
        o.BindAddress = IPAddress.Loopback;
        o.BindPort = 0;
        o.StreamQuic = new QuicStreamOptions { Tls = new StreamTlsOptions { Certificate = TestCertificates.IssueNode(Ca, name), TrustedAuthorities = [Ca] } };
        return o;
    }

    [Fact]
    public async Task Two_nodes_join_and_push_pull_over_quic_streams()
    {
        Assert.SkipUnless(QuicStreamOptions.IsSupported, NoQuic);
        await using var a = new GossipNode(Options("quic-a"));
        await using var b = new GossipNode(Options("quic-b"));
        a.Start();
        b.Start();

        Assert.Equal(1, await b.JoinAsync([a.LocalEndPoint]));
        await Eventually.TrueAsync(() => a.AliveNodeCount == 2 && b.AliveNodeCount == 2, "both nodes see each other");
        Assert.True(b.Statistics.StreamTls.HandshakesDialed >= 1, "the join was a QUIC stream");
        Assert.True(a.Statistics.StreamTls.HandshakesAccepted >= 1);
    }

    [Fact]
    public void Stream_quic_without_libmsquic_is_refused_at_construction_with_the_reason()
    {
        Assert.SkipWhen(QuicStreamOptions.IsSupported, "QUIC is available here; the refusal only happens without libmsquic");
        var error = Assert.Throws<PlatformNotSupportedException>(() => new GossipNode(Options("quic-missing")));
        Assert.Contains("libmsquic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_quic_and_stream_tls_together_are_refused()
    {
        var o = Options("quic-and-tls");
        o.StreamTls = o.StreamQuic!.Tls;
        Assert.Contains("cannot both be set", Assert.Throws<ArgumentException>(() => new GossipNode(o)).Message, StringComparison.Ordinal);
        o.StreamTls = null;
        o.StreamQuic.PortOffset = 0;
        Assert.Contains("PortOffset", Assert.Throws<ArgumentException>(() => new GossipNode(o)).Message, StringComparison.Ordinal);
    }
}
