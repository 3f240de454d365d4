namespace Meshwork.Serf.Agent.Tests;

public sealed class ConfigTests
{
    [Fact]
    public void Config_files_and_directories_apply_serf_keys_in_order()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mw-cfg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.json"), """
                { "node_name": "n1", "tags": { "role": "web" }, "event_handlers": ["user=/a.sh"], "retry_join": ["10.0.0.1"],
                  "retry_interval": "1m30s", "protocol": 4, "rpc_auth": "k", "replay_on_join": true }
                """);
            File.WriteAllText(Path.Combine(dir, "b.json"), """{ "node_name": "n2", "event_handlers": ["query:x=/b.sh"], "profile": "wan" }""");
            var o = new SerfAgentOptions();
            AgentConfigFile.Apply(o, [dir]);
            Assert.Equal("n2", o.NodeName); // the later file wins for scalars
            Assert.Equal(["user=/a.sh", "query:x=/b.sh"], o.EventHandlers); // and lists append
            Assert.Equal(TimeSpan.FromSeconds(90), o.RetryInterval);
            Assert.Equal(4, o.Protocol);
            Assert.Equal("web", o.Tags["role"]);
            Assert.Equal("k", o.RpcAuthKey);
            Assert.True(o.Replay);
            Assert.Equal("wan", o.Profile);
            o.Validate();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Bad_config_names_the_file_and_key()
    {
        string file = Path.Combine(Path.GetTempPath(), $"mw-cfg-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(file, """{ "node_nmae": "typo" }""");
            var e = Assert.Throws<AgentConfigException>(() => AgentConfigFile.Apply(new SerfAgentOptions(), [file]));
            Assert.Equal("node_nmae", e.Key);
            Assert.Contains(file, e.Message);
            File.WriteAllText(file, """{ "retry_interval": "soon" }""");
            e = Assert.Throws<AgentConfigException>(() => AgentConfigFile.Apply(new SerfAgentOptions(), [file]));
            Assert.Equal("retry_interval", e.Key);
            File.WriteAllText(file, "{ not json");
            Assert.Throws<AgentConfigException>(() => AgentConfigFile.Apply(new SerfAgentOptions(), [file]));
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Throws<ArgumentException>(() => new SerfAgentOptions { EventHandlers = ["member-explode=/x.sh"] }.Validate());
        Assert.Throws<ArgumentException>(() => new SerfAgentOptions { Protocol = 9 }.Validate());
        Assert.Throws<ArgumentException>(() => new SerfAgentOptions { LogLevel = "loud" }.Validate());
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("2h", 7_200_000)]
    public void Go_durations_parse(string text, double ms) => Assert.Equal(ms, AgentConfigFile.ParseDuration(text).TotalMilliseconds);

    [Fact]
    public void Event_filters_parse_as_serf_does()
    {
        var (filters, script) = Events.EventHandlerRunner.Parse("member-join,user:deploy,query:load=/x.sh arg");
        Assert.Equal("/x.sh arg", script);
        Assert.Equal([new("member-join", ""), new("user", "deploy"), new("query", "load")], filters);
        Assert.Equal([new Events.EventFilter("*", "")], Events.EventHandlerRunner.Parse("/only-script.sh").Filters);
    }
}
