using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Gossip.Transport;

namespace Meshwork.Serf.Agent.Tests;

/// <summary>The agent's stream TLS files and flags, and retry-join through a pluggable address resolver.</summary>
public sealed class AgentStreamTlsAndResolverTests
{
    private static readonly X509Certificate2 Ca = TestCertificates.CreateAuthority("meshwork-agent-test-ca");

    private static void UseTls(SerfAgentOptions o, string dir, string node, bool keyInCertFile)
    {
        var cert = TestCertificates.IssueNode(Ca, node);
        string certFile = Path.Combine(dir, node + ".crt"), keyFile = Path.Combine(dir, node + ".key"), caFile = Path.Combine(dir, "ca.pem");
        TestCertificates.WritePem(cert, certFile, keyFile);
        TestCertificates.WritePem(Ca, caFile);
        if (keyInCertFile)
        {
            File.AppendAllText(certFile, File.ReadAllText(keyFile));
            File.Delete(keyFile);
        }
        o.StreamTlsCertFile = certFile;
        o.StreamTlsKeyFile = keyInCertFile ? null : keyFile;
        o.StreamTlsCaFile = caFile;
    }

    [Fact]
    public async Task Agents_configured_with_pem_files_join_over_stream_tls_through_the_serf_cli()
    {
        await using var a = await MeshAgent.StartAsync("tls-agent-a", (o, dir) => UseTls(o, dir, "tls-agent-a", keyInCertFile: false));
        await using var b = await MeshAgent.StartAsync("tls-agent-b", (o, dir) => UseTls(o, dir, "tls-agent-b", keyInCertFile: true));

        var (code, stdout, stderr) = await b.SerfAsync("join", $"127.0.0.1:{a.GossipPort}");
        Assert.True(code == 0, stdout + stderr);
        await Eventually.TrueAsync(() => a.Agent.Node.Member("tls-agent-b")?.Status == MemberStatus.Alive, "a sees b");
        Assert.True(b.Agent.Node.Gossip.Statistics.StreamTls.HandshakesDialed >= 1, "the join went over TLS");
        Assert.True(a.Agent.Node.Gossip.Statistics.StreamTls.HandshakesAccepted >= 1);
    }

    [Fact]
    public async Task Unloadable_stream_tls_files_stop_the_agent_with_a_message_naming_them()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mw-tls-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string missing = Path.Combine(dir, "missing.crt");
            await using (var agent = new SerfAgent(new SerfAgentOptions { NodeName = "tls-bad", BindAddress = "127.0.0.1:0", RpcAddress = "127.0.0.1:0", StreamTlsCertFile = missing }))
            {
                var e = await Assert.ThrowsAsync<AgentStartException>(() => agent.StartAsync());
                Assert.Contains(missing, e.Message, StringComparison.Ordinal);
            }
            var options = new SerfAgentOptions { NodeName = "tls-bad", BindAddress = "127.0.0.1:0", RpcAddress = "127.0.0.1:0" };
            UseTls(options, dir, "tls-bad", keyInCertFile: false);
            File.WriteAllText(options.StreamTlsCaFile!, "not a certificate");
            await using (var agent = new SerfAgent(options))
            {
                var e = await Assert.ThrowsAsync<AgentStartException>(() => agent.StartAsync());
                Assert.Contains("holds no PEM certificate", e.Message, StringComparison.Ordinal);
            }
            var keyOnly = new SerfAgentOptions { StreamTlsKeyFile = "x.key" };
            Assert.Contains("stream_tls_cert_file", Assert.Throws<ArgumentException>(keyOnly.Validate).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Config_file_keys_set_the_stream_tls_files()
    {
        string file = Path.Combine(Path.GetTempPath(), $"mw-cfg-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(file, """
                { "stream_tls_cert_file": "/etc/mw/node.crt", "stream_tls_key_file": "/etc/mw/node.key",
                  "stream_tls_ca_file": "/etc/mw/ca.pem", "stream_tls_accept_plain": true }
                """);
            var o = new SerfAgentOptions();
            AgentConfigFile.Apply(o, [file]);
            Assert.Equal("/etc/mw/node.crt", o.StreamTlsCertFile);
            Assert.Equal("/etc/mw/node.key", o.StreamTlsKeyFile);
            Assert.Equal("/etc/mw/ca.pem", o.StreamTlsCaFile);
            Assert.True(o.StreamTlsAcceptPlain);
            o.Validate();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Answers each lookup with the next endpoint of a script, recording every name asked.</summary>
    private sealed class ScriptedResolver(params IPEndPoint[] answers) : IAddressResolver
    {
        private int _next;

        public ConcurrentQueue<string> Asked { get; } = new();

        public ValueTask<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort, CancellationToken cancellationToken)
        {
            Asked.Enqueue(address);
            var i = Interlocked.Increment(ref _next) - 1;
            return ValueTask.FromResult<IReadOnlyList<IPEndPoint>>([answers[Math.Min(i, answers.Length - 1)]]);
        }
    }

    [Fact]
    public async Task Retry_join_resolves_the_name_again_at_every_attempt()
    {
        await using var seed = await MeshAgent.StartAsync("resolve-seed");
        // The name first points where nothing listens (the seed's old address), then at the seed.
        var resolver = new ScriptedResolver(new IPEndPoint(IPAddress.Loopback, FreePort.TcpAndUdp()), new IPEndPoint(IPAddress.Loopback, seed.GossipPort));
        await using var mesh = await MeshAgent.StartAsync("resolve-joiner", (o, _) =>
        {
            o.AddressResolver = resolver;
            o.RetryJoin.Add("seed.cluster.test");
            o.RetryInterval = TimeSpan.FromSeconds(1);
        });
        await Eventually.TrueAsync(() => mesh.Agent.Node.Member("resolve-seed")?.Status == MemberStatus.Alive, "retry-join reached the seed at its new address");
        Assert.Equal(["seed.cluster.test", "seed.cluster.test"], resolver.Asked);
    }
}
