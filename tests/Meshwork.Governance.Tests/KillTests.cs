using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Meshwork.Serf;

namespace Meshwork.Governance.Tests;

/// <summary>
/// kill -9 under load: one of three gossip-discovered servers runs as a separate <c>meshwork demo-node</c> process
/// and is sent SIGKILL (no deregistration, no leave, in-flight calls cut); no idempotent call fails with fail-over.
/// </summary>
[Trait("Category", "Interop")]
public sealed class KillTests : GossipClientTestBase
{
    /// <summary>The demo node's idempotent greeting (its wire contract: service "Demo", method "Greet", strings).</summary>
    private static readonly Method<string, string> Greet = new("Demo", "Greet", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    private static readonly Regex From = new(@"from (\S+)$", RegexOptions.Compiled);

    private static ServiceDefinition DemoService(string node) =>
        new ServiceDefinition("Demo").AddUnary(Greet, (name, _) => new ValueTask<string>($"hello {name}, from {node}"));

    [Fact]
    public async Task A_SIGKILLed_server_process_loses_no_idempotent_call_with_fail_over()
    {
        // Two servers in this process, one in a process of its own.
        for (int i = 0; i < 2; i++)
        {
            var name = $"in{i}-{Guid.NewGuid().ToString("n")[..4]}";
            _owned.Add(await GossipMember.StartAsync(name, new SemanticVersion(1, 0, 0), _client.LocalEndPoint, extra: DemoService(name)));
        }
        var victimName = "victim-" + Guid.NewGuid().ToString("n")[..4];
        var psi = ProcessRunner.StartInfo("dotnet", [MeshworkCli.BinaryPath, "demo-node", "--name", victimName, "--join", _client.LocalEndPoint.ToString()]);
        psi.RedirectStandardInput = true; // held open: the demo node serves until its stdin closes or it is killed
        var victim = RunningProcess.Start(psi);
        _owned.Add(victim);
        await victim.WaitForLineAsync(l => l.StartsWith("demo-node ready:", StringComparison.Ordinal), MeshworkCli.StartTimeout);
        Assert.NotEqual(Environment.ProcessId, victim.Pid);

        var invoker = new GovernedCallInvoker(_registry, new GovernanceOptions { Services = { ["Demo"] = new ServicePolicy { Balancer = "round-robin" } } });
        _owned.Add(invoker);
        await invoker.WaitForEndpointsAsync("Demo", e => e.Count == 3, Eventually.Token());

        var answeredBy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var load = new CallLoad(async _ =>
        {
            var answer = await invoker.UnaryAsync(Greet, "kill-test", new CallOptions { Timeout = TimeSpan.FromSeconds(10) });
            answeredBy.AddOrUpdate(From.Match(answer).Groups[1].Value, 1, (_, n) => n + 1);
        }, workers: 8);
        await Eventually.TrueAsync(() => answeredBy.GetValueOrDefault(victimName) > 20, "the victim process serves calls");

        victim.Signal(RunningProcess.SigKill);
        Assert.Equal(128 + RunningProcess.SigKill, await victim.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        int atKill = load.Succeeded;

        // Gossip declares the member failed and the client stops routing to it; calls keep succeeding throughout.
        await invoker.WaitForEndpointsAsync("Demo", e => e.Count == 2 && e.All(x => !x.Instance.Id.Contains(victimName, StringComparison.Ordinal)
            && x.Instance.Node != victimName), Eventually.Token());
        await Eventually.TrueAsync(() => load.Succeeded > atKill + 300, "calls keep succeeding after the kill");
        var failures = await load.StopAsync();
        Assert.True(failures.Count == 0, $"{failures.Count} idempotent calls failed; first: {failures.FirstOrDefault()}");
        Assert.Equal(MemberStatus.Failed, _client.Member(victimName)?.Status);
    }
}
