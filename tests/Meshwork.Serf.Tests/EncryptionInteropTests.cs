using System.Security.Cryptography;
using System.Text;
using Meshwork.Gossip.Security;

namespace Meshwork.Serf.Tests;

/// <summary>AES-GCM clusters with serf agents started with -encrypt, and key rotation through serf's internal queries.</summary>
public class EncryptionInteropTests
{
    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Encrypted_cluster_forms_and_carries_events_and_queries()
    {
        var key = NewKey();
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={key}");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "enc" }, Keyring.FromBase64(key));
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);

        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name)) is { Status: "alive" } m && m.Tags["role"] == "enc", "agent sees us");
        await Eventually.TrueAsync(() => node.Member(agent.Name)?.Status == MemberStatus.Alive, "we see the agent");

        var (code, _, err) = await agent.CliAsync("event", "-coalesce=false", "secret", "s1");
        Assert.True(code == 0, err);
        await Eventually.TrueAsync(() => sink.UserEvents.Any(e => e.Name == "secret" && Encoding.UTF8.GetString(e.Payload) == "s1"), "encrypted event delivered");

        (code, var stdout, err) = await agent.CliAsync("query", "-timeout=3s", "echo", "enc");
        Assert.True(code == 0, err);
        Assert.Contains($"pong-from-{node.Name}:enc", stdout, StringComparison.Ordinal);
        Assert.Contains("encrypted = true", (await agent.CliAsync("info")).Stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Wrong_or_missing_key_is_refused_and_the_agent_survives()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={NewKey()}");
        await using (var wrong = Cluster.StartNode(Cluster.UniqueName("wrong"), keyring: Keyring.FromBase64(NewKey())))
        {
            var e = await Assert.ThrowsAsync<AggregateException>(() => wrong.JoinAsync([agent.EndPoint]));
            Assert.Contains("No installed keys could decrypt the message", e.InnerExceptions[0].Message, StringComparison.Ordinal);
        }
        await using (var plain = Cluster.StartNode(Cluster.UniqueName("plain")))
        {
            var e = await Assert.ThrowsAsync<AggregateException>(() => plain.JoinAsync([agent.EndPoint]));
            Assert.Contains("encrypt", e.InnerExceptions[0].Message, StringComparison.OrdinalIgnoreCase);
        }
        Assert.False(agent.HasExited);
        Assert.Single(await agent.MembersAsync());
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Key_rotation_from_the_agent_succeeds_on_every_node_including_Meshwork()
    {
        var k1 = NewKey();
        var k2 = NewKey();
        var ring = Keyring.FromBase64(k1);
        using var scripts = new HandlerScripts();
        var keyringFile = Path.Combine(scripts.Dir, "keyring.json");
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={k1}");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), keyring: ring, configure: o => o.KeyringFile = keyringFile);
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        foreach (var args in new[] { new[] { "keys", $"-install={k2}" }, ["keys", $"-use={k2}"], ["keys", $"-remove={k1}"] })
        {
            var (code, stdout, err) = await agent.CliAsync(args);
            Assert.True(code == 0, $"serf {string.Join(' ', args)} failed: {stdout} {err}");
        }
        Assert.Equal(Convert.FromBase64String(k2), ring.PrimaryKey);
        Assert.Single(ring.Keys);
        Assert.Equal($"[\"{k2}\"]", await File.ReadAllTextAsync(keyringFile));
        Assert.Equal(Convert.FromBase64String(k2), KeyringFile.Load(keyringFile).PrimaryKey);

        var list = await agent.CliAsync("keys", "-list");
        Assert.True(list.Code == 0, list.Stdout + list.Stderr);
        Assert.Contains(k2, list.Stdout, StringComparison.Ordinal);
        Assert.Contains("[2/2]", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(k1, list.Stdout, StringComparison.Ordinal);

        // Traffic keeps flowing under the new key.
        var (c, _, e) = await agent.CliAsync("event", "-coalesce=false", "after-rotation", "ok");
        Assert.True(c == 0, e);
        await Eventually.TrueAsync(() => sink.UserEvents.Any(x => x.Name == "after-rotation"), "event under the new key");
        node.UserEvent("back-under-new-key", [], coalesce: false);
        await Eventually.TrueAsync(() => agent.Log.Contains("messageUserEventType: back-under-new-key", StringComparison.Ordinal),
            "Meshwork's gossip decrypts at the agent under the new key");
        Assert.Equal("alive", (await agent.MemberAsync(node.Name))?.Status);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Key_rotation_driven_by_Meshwork_reaches_the_agents()
    {
        var k1 = NewKey();
        var k2 = NewKey();
        await using var a1 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={k1}");
        await using var a2 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), $"-encrypt={k1}", $"-join=127.0.0.1:{a1.BindPort}");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), keyring: Keyring.FromBase64(k1));
        await node.JoinAsync([a1.EndPoint]);
        await Eventually.TrueAsync(() => node.Members().Count(m => m.Status == MemberStatus.Alive) == 3, "three alive");

        var install = await node.Keys.InstallKeyAsync(k2);
        Assert.True(install.Succeeded, install.ToString());
        var use = await node.Keys.UseKeyAsync(k2);
        Assert.True(use.Succeeded, use.ToString());
        var remove = await node.Keys.RemoveKeyAsync(k1);
        Assert.True(remove.Succeeded, remove.ToString());

        var list = await node.Keys.ListKeysAsync();
        Assert.True(list.Succeeded, list.ToString());
        Assert.Equal(3, list.Keys[k2]);
        Assert.False(list.Keys.ContainsKey(k1));
        Assert.Equal(3, list.PrimaryKeys[k2]);

        var agentList = await a2.CliAsync("keys", "-list");
        Assert.True(agentList.Code == 0, agentList.Stdout + agentList.Stderr);
        Assert.Contains(k2, agentList.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(k1, agentList.Stdout, StringComparison.Ordinal);

        var removePrimary = await node.Keys.RemoveKeyAsync(k2);
        Assert.False(removePrimary.Succeeded);
        Assert.Equal(3, removePrimary.NumErrors);
    }
}
