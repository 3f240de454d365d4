namespace Meshwork.Serf.Tests;

public class TagsTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Tag_updates_reach_the_agent_as_member_updates()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "v1" });
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Tags.GetValueOrDefault("role") == "v1", "initial tags");

        await node.SetTagsAsync(new Dictionary<string, string> { ["role"] = "v2", ["zone"] = "b" });
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name)) is { } m && m.Tags.GetValueOrDefault("role") == "v2" && m.Tags.GetValueOrDefault("zone") == "b",
            "agent shows the new tags");
        var (code, stdout, _) = await agent.CliAsync("members", "-tag", "zone=b");
        Assert.Equal(0, code);
        Assert.Contains(node.Name, stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Agent_tag_updates_reach_Meshwork()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), "-tag", "role=a");
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(() => node.Member(agent.Name)?.Tags.GetValueOrDefault("role") == "a", "initial");
        var (code, _, err) = await agent.CliAsync("tags", "-set", "role=b");
        Assert.True(code == 0, err);
        await Eventually.TrueAsync(() => node.Member(agent.Name)?.Tags.GetValueOrDefault("role") == "b", "updated tags");
        Assert.Contains(sink.MemberEvents, e => e.Type == MemberEventType.Update && e.Member.Name == agent.Name);
    }

    [Fact]
    public async Task Tags_over_512_bytes_are_refused_with_a_clear_error()
    {
        var big = new Dictionary<string, string> { ["blob"] = new string('x', 600) };
        var e = Assert.Throws<TagsTooLargeException>(() => Cluster.StartNode("too-big", big));
        Assert.Contains("512", e.Message, StringComparison.Ordinal);

        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await Assert.ThrowsAsync<TagsTooLargeException>(() => node.SetTagsAsync(big));
    }

    [Fact]
    public void Meta_encoding_matches_serf()
    {
        var meta = Wire.SerfCodec.EncodeTags(new Dictionary<string, string> { ["role"] = "web" });
        Assert.Equal("ff81a4726f6c65a3776562", Convert.ToHexStringLower(meta));
        Assert.Equal("web", Wire.SerfCodec.DecodeTags(System.Text.Encoding.UTF8.GetBytes("web"))["role"]);
        Assert.Equal("ff80", Convert.ToHexStringLower(Wire.SerfCodec.EncodeTags(new Dictionary<string, string>())));
    }

    [Fact]
    public void Keyring_file_round_trips_keys_with_plus_and_slash()
    {
        var dir = Directory.CreateTempSubdirectory("meshwork-keyring-").FullName;
        try
        {
            var path = Path.Combine(dir, "keyring.json");
            var key = new byte[32];
            Array.Fill(key, (byte)0xfb); // base64 "+/v7..." style characters
            var ring = new Gossip.Security.Keyring([key]);
            KeyringFile.Save(path, ring);
            var text = File.ReadAllText(path);
            Assert.Equal($"[\"{Convert.ToBase64String(key)}\"]", text);
            Assert.Contains("+", text, StringComparison.Ordinal);
            Assert.Equal(key, KeyringFile.Load(path).PrimaryKey);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
