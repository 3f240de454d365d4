using Meshwork.Testing;

namespace Meshwork.Cli.Tests;

/// <summary>The agent leaves on SIGINT as serf does, also when it was started with SIGINT ignored.</summary>
public class AgentSignalTests
{
    [Fact]
    public async Task An_agent_started_with_SIGINT_ignored_still_leaves_gracefully_on_SIGINT()
    {
        // A script's background job and a nohup'd command inherit SIGINT ignored; serf (Go's signal.Notify) still
        // catches it, so the agent must too. The shell sets the ignore and then becomes the agent (exec, same pid).
        int gossip = FreePort.TcpAndUdp();
        int rpc = FreePort.TcpAndUdp();
        await using var agent = RunningProcess.Start("/bin/sh",
            ["-c", "trap '' INT; exec dotnet \"$0\" \"$@\"", MeshworkCli.BinaryPath,
             "agent", "--node", "ignored-int", "--bind", $"127.0.0.1:{gossip}", "--rpc-addr", $"127.0.0.1:{rpc}"]);
        await agent.WaitForLineAsync(l => l.Contains("control API on", StringComparison.Ordinal), MeshworkCli.StartTimeout);
        agent.Signal(RunningProcess.SigInt);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("leaving the cluster gracefully", agent.Log, StringComparison.Ordinal);
    }
}
