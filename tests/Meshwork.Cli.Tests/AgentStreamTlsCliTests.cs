namespace Meshwork.Cli.Tests;

/// <summary><c>meshwork agent --stream-tls-*</c>: agents started with certificate files gossip over TLS streams and refuse plain ones.</summary>
public sealed class AgentStreamTlsCliTests
{
    [Fact]
    public async Task Agents_started_with_stream_tls_flags_join_each_other_and_refuse_a_plain_agent()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mw-cli-tls-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var ca = TestCertificates.CreateAuthority("meshwork-cli-test-ca");
            string caFile = Path.Combine(dir, "ca.pem");
            TestCertificates.WritePem(ca, caFile);
            string[] Flags(string node)
            {
                string cert = Path.Combine(dir, node + ".crt"), key = Path.Combine(dir, node + ".key");
                TestCertificates.WritePem(TestCertificates.IssueNode(ca, node), cert, key);
                return ["--stream-tls-cert", cert, "--stream-tls-key", key, "--stream-tls-ca", caFile];
            }

            await using var first = await MeshworkCli.StartAgentAsync("cli-tls-1", Flags("cli-tls-1"));
            // A start-up join that fails stops the agent, so a started second agent has joined over TLS.
            await using var second = await MeshworkCli.StartAgentAsync("cli-tls-2", [.. Flags("cli-tls-2"), "--join", $"127.0.0.1:{first.GossipPort}"]);
            var (code, stdout, stderr) = await MeshworkCli.RunAsync("members", "--rpc-addr", first.RpcAddr);
            Assert.True(code == 0, stderr);
            Assert.Contains("cli-tls-2", stdout, StringComparison.Ordinal);

            // An agent without the flags speaks plain memberlist streams and is told why it cannot join.
            (code, _, stderr) = await MeshworkCli.RunAsync("agent", "--node", "cli-plain", "--bind", $"127.0.0.1:{FreePort.TcpAndUdp()}",
                "--rpc-addr", $"127.0.0.1:{FreePort.TcpAndUdp()}", "--join", $"127.0.0.1:{first.GossipPort}", "--log-level", "err");
            Assert.Equal(1, code);
            Assert.Contains("requires TLS on gossip streams", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
