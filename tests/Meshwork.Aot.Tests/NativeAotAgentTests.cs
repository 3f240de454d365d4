namespace Meshwork.Aot.Tests;

/// <summary>
/// Publishes the <c>meshwork</c> CLI as one NativeAOT binary with the documented command and runs it as a serf agent
/// next to a real serf agent: the join, the serf CLI against it, and a graceful leave on SIGINT. The publish must give
/// no trim or AOT warnings. Sources are copied so the publish cannot collide with the test build's outputs.
/// </summary>
public class NativeAotAgentTests
{
    [Fact]
    [Trait("Category", "Interop")]
    public async Task The_native_meshwork_binary_is_a_working_serf_agent()
    {
        string work = Repository.CopySources("src");
        try
        {
            string output = Path.Combine(work, "out");
            var (code, stdout, stderr) = await ProcessRunner.RunAsync("dotnet",
                ["publish", "src/Meshwork.Cli", "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo"], TimeSpan.FromMinutes(12), work);
            string log = stdout + stderr;
            Assert.True(code == 0, "publish failed:\n" + log);
            Assert.DoesNotContain("warning IL", log);
            string binary = Path.Combine(output, "meshwork");
            Assert.True(File.Exists(binary), "no native binary at " + binary);

            await using var serf = await SerfAgent.StartAsync("serf-aot");
            int gossip = FreePort.TcpAndUdp();
            int rpc = FreePort.TcpAndUdp();
            // Started with SIGINT ignored, as a script's background job or nohup starts it: it must still leave on
            // SIGINT as serf does (the shell sets the ignore, then becomes the agent with exec).
            await using var agent = RunningProcess.Start("/bin/sh",
                ["-c", "trap '' INT; exec \"$0\" \"$@\"", binary,
                 "agent", "--node", "native", "--bind", $"127.0.0.1:{gossip}", "--rpc-addr", $"127.0.0.1:{rpc}", "--join", $"127.0.0.1:{serf.BindPort}"]);
            await agent.WaitForLineAsync(l => l.Contains("control API on", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(async () => (await serf.MemberAsync("native"))?.Status == "alive", "the serf agent sees the native agent alive");

            // serf's own CLI against the native agent's RPC address.
            var (membersCode, members, membersErr) = await ProcessRunner.RunAsync("serf", ["members", $"-rpc-addr=127.0.0.1:{rpc}"]);
            Assert.True(membersCode == 0, membersErr);
            Assert.Contains("serf-aot", members);

            agent.Signal(RunningProcess.SigInt);
            Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            await Eventually.TrueAsync(async () => (await serf.MemberAsync("native"))?.Status == "left", "the native agent left gracefully");
        }
        finally
        {
            Repository.DeleteCopy(work);
        }
    }
}
