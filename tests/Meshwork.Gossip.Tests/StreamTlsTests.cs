using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Transport;
using Meshwork.Gossip.Wire;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Tests;

/// <summary>TLS on gossip streams between real nodes on 127.0.0.1 (UDP + TCP), with throw-away CAs.</summary>
public sealed class StreamTlsTests
{
    private static readonly X509Certificate2 ClusterCa = TestCertificates.CreateAuthority("meshwork-test-cluster-ca");
    private static readonly X509Certificate2 ForeignCa = TestCertificates.CreateAuthority("meshwork-test-foreign-ca");

    private static StreamTlsOptions Tls(string node, X509Certificate2 issuer, X509Certificate2 trusted) => new()
    {
        Certificate = TestCertificates.IssueNode(issuer, node),
        TrustedAuthorities = [trusted],
    };

    private static GossipNode Start(string name, StreamTlsOptions? tls, Keyring? keyring = null, ILoggerFactory? logs = null, TimeSpan? pushPull = null)
    {
        var o = MemberlistOptions.Lan(name);
        o.BindAddress = IPAddress.Loopback;
        o.BindPort = 0;
        o.StreamTls = tls;
        o.Keyring = keyring;
        if (pushPull is { } p) o.PushPullInterval = p;
        var node = new GossipNode(o, loggerFactory: logs);
        node.Start();
        return node;
    }

    private static bool AllAlive(GossipNode node, int count) => node.Members.Count(m => m.Status == NodeStatus.Alive) == count;

    [Fact]
    public async Task Three_nodes_join_and_push_pull_over_stream_tls()
    {
        await using var a = Start("tls-a", Tls("tls-a", ClusterCa, ClusterCa), pushPull: TimeSpan.FromMilliseconds(500));
        await using var b = Start("tls-b", Tls("tls-b", ClusterCa, ClusterCa), pushPull: TimeSpan.FromMilliseconds(500));
        await using var c = Start("tls-c", Tls("tls-c", ClusterCa, ClusterCa), pushPull: TimeSpan.FromMilliseconds(500));

        Assert.Equal(1, await b.JoinAsync([a.LocalEndPoint]));
        Assert.Equal(1, await c.JoinAsync([b.LocalEndPoint]));
        await Eventually.TrueAsync(() => AllAlive(a, 3) && AllAlive(b, 3) && AllAlive(c, 3), "all three nodes see three alive members");

        // Periodic anti-entropy runs over TLS too: handshakes keep coming after the two joins, and none failed.
        GossipNode[] nodes = [a, b, c];
        // Push/pull partners are random, so wait until each node has also been dialled at least once.
        await Eventually.TrueAsync(() => nodes.Sum(n => n.Statistics.StreamTls.HandshakesDialed) >= 6
            && nodes.All(n => n.Statistics.StreamTls.HandshakesAccepted > 0)
            && nodes.Sum(n => n.Statistics.StreamTls.HandshakesAccepted) >= 6, "periodic push/pulls complete TLS handshakes, dialled and accepted by every node");
        Assert.All(nodes, n => Assert.Equal(0, n.Statistics.StreamTls.PlainStreamsRefused));
    }

    [Fact]
    public async Task A_dialled_stream_opens_with_a_tls_client_hello_not_a_memberlist_message()
    {
        using var sniffer = new TcpListener(IPAddress.Loopback, 0);
        sniffer.Start();
        await using var a = Start("tls-sniffed", Tls("tls-sniffed", ClusterCa, ClusterCa));

        var join = a.JoinAsync([(IPEndPoint)sniffer.LocalEndpoint]);
        using (var socket = await sniffer.AcceptSocketAsync(Eventually.Token()))
        {
            var head = new byte[3];
            var read = 0;
            while (read < head.Length)
            {
                var n = await socket.ReceiveAsync(head.AsMemory(read), SocketFlags.None, Eventually.Token());
                Assert.True(n > 0, "the node sent something before closing");
                read += n;
            }
            // A TLS handshake record (0x16) of version 3.x; a plain memberlist stream would start with 0x09 (compressed) or 0x06 (push/pull).
            Assert.Equal(0x16, head[0]);
            Assert.Equal(0x03, head[1]);
        }
        var error = await Assert.ThrowsAsync<AggregateException>(() => join);
        Assert.IsType<StreamTlsException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(1, a.Statistics.StreamTls.HandshakesFailed);
    }

    [Fact]
    public async Task A_node_with_a_certificate_from_another_ca_is_refused_and_the_refusal_is_counted_and_logged()
    {
        var logs = new CapturingLoggerProvider();
        await using var seed = Start("tls-seed", Tls("tls-seed", ClusterCa, ClusterCa), logs: logs);
        // The intruder trusts the cluster CA, so the only problem is its own certificate: the seed must refuse it.
        await using var intruder = Start("tls-intruder", Tls("tls-intruder", ForeignCa, ClusterCa));

        var error = await Assert.ThrowsAsync<AggregateException>(() => intruder.JoinAsync([seed.LocalEndPoint]));
        var tls = Assert.IsType<StreamTlsException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(seed.LocalEndPoint, tls.Peer);

        await Eventually.TrueAsync(() => seed.Statistics.StreamTls.HandshakesFailed >= 1, "the seed counts the refused handshake");
        Assert.Equal(0, seed.Statistics.StreamTls.HandshakesAccepted);
        await Eventually.TrueAsync(() => seed.MalformedInput.Counters[MalformedInputKinds.StreamTls] >= 1, "the refusal is counted as malformed input");
        // The line is written just after the counters move: wait for it.
        static bool IsRefusalLine(CapturingLoggerProvider.Entry e) => e.Id.Id == 1015 && e.Message.Contains(MalformedInputKinds.StreamTls, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => logs.Entries.Any(IsRefusalLine), "the seed logs the refused handshake");
        var line = Assert.Single(logs.Entries, IsRefusalLine);
        Assert.Contains("not trusted", line.Message, StringComparison.Ordinal);
        Assert.Contains("meshwork-test-foreign-ca", line.Message, StringComparison.Ordinal);
        Assert.Null(line.Exception); // no stack trace in the log
        Assert.DoesNotContain(seed.Members, m => m.Name == "tls-intruder");
    }

    [Fact]
    public async Task A_node_that_does_not_trust_the_cluster_ca_refuses_the_seed_with_a_clear_error()
    {
        await using var seed = Start("tls-seed2", Tls("tls-seed2", ClusterCa, ClusterCa));
        await using var stranger = Start("tls-stranger", Tls("tls-stranger", ForeignCa, ForeignCa));

        var error = await Assert.ThrowsAsync<AggregateException>(() => stranger.JoinAsync([seed.LocalEndPoint]));
        var tls = Assert.IsType<StreamTlsException>(Assert.Single(error.InnerExceptions));
        Assert.Contains("is not trusted", tls.Message, StringComparison.Ordinal);
        Assert.Contains("meshwork-test-cluster-ca", tls.Message, StringComparison.Ordinal);
        Assert.Equal(1, stranger.Statistics.StreamTls.HandshakesFailed);
        await Eventually.TrueAsync(() => stranger.MalformedInput.Counters[MalformedInputKinds.StreamTls] == 1, "the refusal is counted as malformed input");
        Assert.DoesNotContain(stranger.Members, m => m.Name == "tls-seed2");
    }

    [Fact]
    public async Task A_certificate_not_allowed_for_client_authentication_cannot_dial()
    {
        await using var seed = Start("tls-seed3", Tls("tls-seed3", ClusterCa, ClusterCa));
        var serverOnly = new StreamTlsOptions
        {
            Certificate = TestCertificates.Issue(ClusterCa, "tls-server-only", [TestCertificates.ServerAuthentication]),
            TrustedAuthorities = [ClusterCa],
        };
        await using var dialler = Start("tls-server-only", serverOnly);

        var error = await Assert.ThrowsAsync<AggregateException>(() => dialler.JoinAsync([seed.LocalEndPoint]));
        Assert.IsType<StreamTlsException>(Assert.Single(error.InnerExceptions));
        await Eventually.TrueAsync(() => seed.Statistics.StreamTls.HandshakesFailed == 1, "the seed refuses the certificate");
        Assert.Equal(0, seed.Statistics.StreamTls.HandshakesAccepted);
    }

    [Fact]
    public async Task A_plain_node_is_refused_with_a_memberlist_error_and_the_tls_node_cannot_dial_it()
    {
        await using var secured = Start("tls-secured", Tls("tls-secured", ClusterCa, ClusterCa));
        await using var plain = Start("plain-node", tls: null);

        var error = await Assert.ThrowsAsync<AggregateException>(() => plain.JoinAsync([secured.LocalEndPoint]));
        var refused = Assert.IsType<StreamProtocolException>(Assert.Single(error.InnerExceptions));
        Assert.Contains(TlsStreamTransport.PlainRefusedMessage, refused.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => secured.Statistics.StreamTls.PlainStreamsRefused == 1, "the TLS node counts the plain stream it refused");

        var dial = await Assert.ThrowsAsync<AggregateException>(() => secured.JoinAsync([plain.LocalEndPoint]));
        Assert.IsType<StreamTlsException>(Assert.Single(dial.InnerExceptions));
        // The plain node sees a TLS ClientHello and says so instead of "unknown message type 22".
        await Eventually.TrueAsync(() => plain.MalformedInput.Counters[MalformedInputKinds.Stream] >= 1, "the plain node counts the TLS stream");
        Assert.DoesNotContain(secured.Members, m => m.Name == "plain-node");
        Assert.DoesNotContain(plain.Members, m => m.Name == "tls-secured");
    }

    [Fact]
    public async Task Accept_plain_streams_lets_a_plain_node_push_pull_into_a_tls_node()
    {
        var tls = Tls("tls-migrating", ClusterCa, ClusterCa);
        tls.AcceptPlainStreams = true;
        await using var migrating = Start("tls-migrating", tls);
        await using var plain = Start("plain-old", tls: null);

        Assert.Equal(1, await plain.JoinAsync([migrating.LocalEndPoint]));
        await Eventually.TrueAsync(() => AllAlive(migrating, 2) && AllAlive(plain, 2), "both see each other");
        Assert.True(migrating.Statistics.StreamTls.PlainStreamsAccepted >= 1);
        Assert.Equal(0, migrating.Statistics.StreamTls.PlainStreamsRefused);
    }

    [Fact]
    public async Task Udp_stays_encrypted_with_the_keyring_when_stream_tls_is_on()
    {
        var key = new byte[32];
        Random.Shared.NextBytes(key);
        await using var a = Start("tls-enc-a", Tls("tls-enc-a", ClusterCa, ClusterCa), new Keyring([key]));
        await using var b = Start("tls-enc-b", Tls("tls-enc-b", ClusterCa, ClusterCa), new Keyring([key]));
        Assert.Equal(1, await b.JoinAsync([a.LocalEndPoint]));
        await Eventually.TrueAsync(() => AllAlive(a, 2) && AllAlive(b, 2), "both nodes see each other");
        Assert.True(b.Statistics.StreamTls.HandshakesDialed >= 1, "the join went over TLS");

        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var probePort = (ushort)((IPEndPoint)probe.LocalEndPoint!).Port;

        // A plaintext ping is dropped as undecryptable: the keyring still guards UDP.
        var ping = PacketCodec.Encode(new PingMessage(7, "tls-enc-a", [127, 0, 0, 1], probePort, "probe"));
        await probe.SendToAsync(ping, a.LocalEndPoint);
        await Eventually.TrueAsync(() => a.MalformedInput.Counters[MalformedInputKinds.Decrypt] >= 1, "the plaintext ping is refused");

        // An encrypted ping is answered with an encrypted ack.
        await probe.SendToAsync(PacketEncryption.Encrypt(key, PacketCodec.Encode(new PingMessage(8, "tls-enc-a", [127, 0, 0, 1], probePort, "probe")), []), a.LocalEndPoint);
        var buffer = new byte[65536];
        var received = await probe.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), Eventually.Token());
        var datagram = buffer.AsSpan(0, received.ReceivedBytes);
        Assert.Equal(1, datagram[0]); // encryption version 1, not a message type
        var plain = PacketEncryption.Decrypt([key], datagram, []);
        Assert.Contains(plain[0], new byte[] { (byte)MessageType.Ack, (byte)MessageType.Compound, (byte)MessageType.Compress });
    }

    [Fact]
    public async Task A_peer_that_connects_and_stalls_is_cut_off_by_the_handshake_timeout()
    {
        var tls = Tls("tls-patient", ClusterCa, ClusterCa);
        tls.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        await using var node = Start("tls-patient", tls);

        using var staller = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await staller.ConnectAsync(node.LocalEndPoint);
        // Say nothing: the node must give up after the handshake timeout, close, count and report it.
        var n = await staller.ReceiveAsync(new byte[16], SocketFlags.None, Eventually.Token());
        Assert.Equal(0, n);
        await Eventually.TrueAsync(() => node.Statistics.StreamTls.HandshakesFailed == 1 && node.MalformedInput.Counters[MalformedInputKinds.StreamTls] == 1,
            "the stalled handshake is counted, as a failed handshake and as malformed input");
    }

    [Fact]
    public void Stream_tls_without_a_usable_certificate_is_refused_at_construction()
    {
        var o = MemberlistOptions.Lan("tls-bad");
        o.BindAddress = IPAddress.Loopback;
        o.BindPort = 0;
        o.StreamTls = new StreamTlsOptions();
        var missing = Assert.Throws<ArgumentException>(() => new GossipNode(o));
        Assert.Contains("Certificate is required", missing.Message, StringComparison.Ordinal);

        using var publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.IssueNode(ClusterCa, "tls-bad").RawData);
        o.StreamTls = new StreamTlsOptions { Certificate = publicOnly };
        Assert.Contains("no private key", Assert.Throws<ArgumentException>(() => new GossipNode(o)).Message, StringComparison.Ordinal);

        o.StreamTls = new StreamTlsOptions { Certificate = TestCertificates.IssueNode(ClusterCa, "tls-bad"), HandshakeTimeout = TimeSpan.Zero };
        Assert.Contains("HandshakeTimeout", Assert.Throws<ArgumentException>(() => new GossipNode(o)).Message, StringComparison.Ordinal);
    }
}
