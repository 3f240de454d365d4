using RealAgent = Meshwork.Testing.SerfAgent;

namespace Meshwork.Serf.Agent.Tests;

/// <summary>The real <c>serf force-leave</c> CLI driving a Meshwork agent in a cluster of real serf agents.</summary>
[Trait("Category", "Interop")]
public class ForceLeaveCliInteropTests
{
    [Fact]
    public async Task Serf_force_leave_through_the_Meshwork_agent_reaches_the_real_agents()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-fl");
        await using var keeper = await RealAgent.StartAsync($"fl-keeper-{Guid.NewGuid():N}"[..16]);
        await using var gone = await RealAgent.StartAsync($"fl-gone-{Guid.NewGuid():N}"[..16], $"-join=127.0.0.1:{keeper.BindPort}");
        await using var pruned = await RealAgent.StartAsync($"fl-prune-{Guid.NewGuid():N}"[..16], $"-join=127.0.0.1:{keeper.BindPort}");
        var (code, stdout, stderr) = await mesh.SerfAsync("join", $"127.0.0.1:{keeper.BindPort}");
        Assert.True(code == 0, stdout + stderr);
        await Eventually.TrueAsync(async () => (await mesh.SerfAsync("members", "-status=alive")).Stdout.Split('\n').Count(l => l.Contains("alive", StringComparison.Ordinal)) == 4, "mesh sees the three agents");

        await gone.KillAsync();
        await pruned.KillAsync();
        await Eventually.TrueAsync(async () =>
        {
            var failed = (await mesh.SerfAsync("members", "-status=failed")).Stdout;
            return failed.Contains(gone.Name, StringComparison.Ordinal) && failed.Contains(pruned.Name, StringComparison.Ordinal)
                && (await keeper.MemberAsync(gone.Name))?.Status == "failed" && (await keeper.MemberAsync(pruned.Name))?.Status == "failed";
        }, "both kills detected by the Meshwork agent and the keeper", 90);

        (code, stdout, stderr) = await mesh.SerfAsync("force-leave", gone.Name);
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("force-leave", "-prune", pruned.Name);
        Assert.True(code == 0, stdout + stderr);

        await Eventually.TrueAsync(async () => (await keeper.MemberAsync(gone.Name))?.Status == "left", "the real agent shows the forced member left");
        await Eventually.TrueAsync(async () => await keeper.MemberAsync(pruned.Name) is null, "the real agent erased the pruned member");
        await Eventually.TrueAsync(async () => (await mesh.SerfAsync("members", "-status=left")).Stdout.Contains(gone.Name, StringComparison.Ordinal), "the Meshwork agent shows it left too");
        Assert.DoesNotContain(pruned.Name, (await mesh.SerfAsync("members")).Stdout, StringComparison.Ordinal);
    }
}
