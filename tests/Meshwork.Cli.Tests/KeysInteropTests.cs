using System.Security.Cryptography;
using Meshwork.Serf.Tests;

namespace Meshwork.Cli.Tests;

public class KeysInteropTests
{
    [Fact]
    public async Task Key_rotation_from_the_meshwork_cli_reaches_a_serf_agent()
    {
        string k1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string k2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var serf = await SerfAgent.StartAsync("serf-k", $"-encrypt={k1}");
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-k", "--encrypt", k1, "--join", $"127.0.0.1:{serf.BindPort}");
        await Eventually.TrueAsync(async () => (await serf.MemberAsync("mesh-k"))?.Status == "alive", "encrypted join");

        foreach (var args in new[] { new[] { "--install", k2 }, ["--use", k2], ["--remove", k1] })
        {
            var (code, stdout, stderr) = await MeshworkCli.RunAsync(["keys", "--rpc-addr", mesh.RpcAddr, .. args]);
            Assert.True(code == 0, $"keys {string.Join(' ', args)} failed: {stdout}{stderr}");
            Assert.Contains("done on 2/2 members", stdout);
        }

        var (listCode, list, listErr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--list");
        Assert.True(listCode == 0, list + listErr);
        Assert.Contains($"{k2} [2/2] (primary on 2)", list);
        Assert.DoesNotContain(k1, list);

        var (serfCode, serfList, _) = await serf.CliAsync("keys", "-list");
        Assert.Equal(0, serfCode);
        Assert.Contains(k2, serfList);
        Assert.DoesNotContain(k1, serfList);
    }

    [Fact]
    public async Task Bad_key_requests_are_rejected_with_a_reason()
    {
        await using var mesh = await MeshworkCli.StartAgentAsync("mesh-bad");
        var (code, _, stderr) = await MeshworkCli.RunAsync("keys", "--rpc-addr", mesh.RpcAddr, "--install", "not-base64!");
        Assert.Equal(1, code);
        Assert.Contains("InvalidArgument", stderr);

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
