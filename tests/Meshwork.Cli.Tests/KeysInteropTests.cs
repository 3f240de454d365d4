using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

public class KeysInteropTests
{
    /// <summary>
    /// The full rotation from the meshwork CLI in a cluster of a meshwork agent and a real serf agent: install the new
    /// key, use it, remove the old one. Each step is checked from serf's side too, and afterwards the cluster is shown
    /// to speak only the new key: a serf agent holding just the new key joins and gossips with both, one holding just
    /// the old key cannot join.
    /// </summary>
    [Fact]
    [Trait("Category", "Interop")]
    public async Task Key_rotation_from_the_meshwork_cli_installs_uses_and_removes_keys_on_a_serf_agent()
    {
        string k1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string k2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var serf = await SerfAgent.StartAsync("serf-k", $"-encrypt={k1}");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-k", "--encrypt", k1, "--join", $"127.0.0.1:{serf.BindPort}");
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-k"))?.Status == "alive", "encrypted join");

        await KeysAsync(mesh, "--install", k2);
        var serfList = await SerfKeysAsync(serf);
        Assert.Matches($@"{Regex.Escape(k1)}\s+\[2/2\]", serfList);
        Assert.Matches($@"{Regex.Escape(k2)}\s+\[2/2\]", serfList);

        // The old key is still primary everywhere, so every member (serf included) refuses to remove it.
        var (code, stdout, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--remove", k1);
        Assert.True(code == 1, "removing the primary key must fail: " + stdout + stderr);
        Assert.Contains("serf-k:", stdout);
        Assert.Contains("remove: 2 errors", stdout);

        await KeysAsync(mesh, "--use", k2);
        await KeysAsync(mesh, "--remove", k1);

        var (listCode, list, listErr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--list");
        Assert.True(listCode == 0, list + listErr);
        Assert.Contains($"{k2} [2/2]", list);
        Assert.DoesNotContain(k1, list);
        serfList = await SerfKeysAsync(serf);
        Assert.Matches($@"{Regex.Escape(k2)}\s+\[2/2\]", serfList);
        Assert.DoesNotContain(k1, serfList);

        // Only the new key opens the cluster now: an agent holding just k2 joins through the meshwork agent and then
        // gossips with serf-k directly; an agent holding just k1 is turned away.
        await using var newcomer = await SerfAgent.StartAsync("serf-k2", $"-encrypt={k2}");
        var (joinCode, _, joinErr) = await newcomer.CliAsync("join", $"127.0.0.1:{mesh.GossipPort}");
        Assert.True(joinCode == 0, joinErr);
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("serf-k2"))?.Status == "alive" && (await newcomer.MemberAsync("serf-k"))?.Status == "alive",
            "serf-k and serf-k2 see each other alive, speaking k2");
        await using var stale = await SerfAgent.StartAsync("serf-k1", $"-encrypt={k1}");
        var (staleCode, _, _) = await stale.CliAsync("join", $"127.0.0.1:{mesh.GossipPort}");
        Assert.NotEqual(0, staleCode);
        Assert.Null(await serf.MemberAsync("serf-k1"));
    }

    private static async Task KeysAsync(MeshworkCli mesh, string operation, string key)
    {
        var (code, stdout, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, operation, key);
        Assert.True(code == 0, $"keys {operation} failed: {stdout}{stderr}");
        Assert.Contains($"{operation[2..]}: done on 2/2 members", stdout);
    }

    /// <summary>The keyring as the serf agent reports it for the whole cluster (<c>serf keys -list</c>).</summary>
    private static async Task<string> SerfKeysAsync(SerfAgent serf)
    {
        var (code, stdout, stderr) = await serf.CliAsync("keys", "-list");
        Assert.True(code == 0, stdout + stderr);
        return stdout;
    }

    [Fact]
    public async Task Bad_key_requests_are_rejected_with_a_reason()
    {
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-bad");
        var (code, _, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--install", "not-base64!");
        Assert.Equal(1, code);
        Assert.Contains("Base-64", stderr); // the agent's reason, passed through

        (code, _, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr);
        Assert.Equal(2, code);
        Assert.Contains("exactly one of", stderr);
    }

    [Fact]
    public async Task Rotated_keys_are_written_to_the_keyring_file()
    {
        string k1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string k2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string file = Path.Combine(Path.GetTempPath(), $"mw-keyring-{Guid.NewGuid():N}.json");
        try
        {
            await using var mesh = await MeshworkCli.StartAgentAsync("mesh-file", "--encrypt", k1, "--keyring-file", file);
            var (code, stdout, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--install", k2);
            Assert.True(code == 0, stdout + stderr);
            await Eventually.TrueAsync(() => File.Exists(file) && File.ReadAllText(file).Contains(k2, StringComparison.Ordinal), "keyring file lists the new key");
            Assert.Contains(k1, File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
