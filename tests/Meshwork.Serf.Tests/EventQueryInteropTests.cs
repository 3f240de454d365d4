using System.Text;
using System.Text.Json;

namespace Meshwork.Serf.Tests;

/// <summary>User events and queries in both directions against a real serf agent.</summary>
public class EventQueryInteropTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task User_event_from_the_agent_reaches_Meshwork_exactly_once()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        var (code, _, err) = await agent.CliAsync("event", "deploy", "hello-v1");
        Assert.True(code == 0, err);
        await Eventually.TrueAsync(() => sink.UserEvents.Any(e => e.Name == "deploy"), "event delivered");
        // The agent re-sends the event for a few gossip rounds; wait until its event queue is empty (every copy sent).
        await Eventually.TrueAsync(async () => (await agent.CliAsync("info")).Stdout.Contains("event_queue = 0", StringComparison.Ordinal),
            "agent finished re-sending the event");
        var e = Assert.Single(sink.UserEvents, x => x.Name == "deploy");
        Assert.Equal("hello-v1", Encoding.UTF8.GetString(e.Payload));
        Assert.True(e.Coalesce);
        Assert.True(e.LTime >= 1);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task User_events_from_Meshwork_reach_the_agent_handler()
    {
        using var scripts = new HandlerScripts();
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), scripts.AgentArgs);
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        node.UserEvent("from-csharp", Encoding.UTF8.GetBytes("payload-1"), coalesce: false);
        await Eventually.TrueAsync(() => scripts.EventLines.Any(l => l.StartsWith("user from-csharp", StringComparison.Ordinal) && l.EndsWith("payload-1", StringComparison.Ordinal)),
            "agent handler saw the first event");
        node.UserEvent("from-csharp", Encoding.UTF8.GetBytes("payload-1"), coalesce: false);
        await Eventually.TrueAsync(() => scripts.EventLines.Count(l => l.StartsWith("user from-csharp", StringComparison.Ordinal)) == 2,
            "same name and payload with a new LTime is delivered again");
        // A marker sent after both: once the handler ran for it, a duplicate of the first two would have shown.
        node.UserEvent("marker", [], coalesce: false);
        await Eventually.TrueAsync(() => scripts.EventLines.Any(l => l.StartsWith("user marker", StringComparison.Ordinal)), "marker handled");
        var lines = scripts.EventLines.Where(l => l.StartsWith("user from-csharp", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.NotEqual(lines[0].Split(' ')[2], lines[1].Split(' ')[2]);
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Agent_query_is_acked_and_answered_by_Meshwork_and_filters_apply()
    {
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), new() { ["role"] = "csharp" });
        await using var sink = new EventSink(node);
        await node.JoinAsync([agent.EndPoint]);
        await Eventually.TrueAsync(async () => (await agent.MemberAsync(node.Name))?.Status == "alive", "joined");

        var (code, stdout, err) = await agent.CliAsync("query", "-format=json", "-timeout=3s", "echo", "ping");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Contains(node.Name, doc.RootElement.GetProperty("Acks").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal($"pong-from-{node.Name}:ping", doc.RootElement.GetProperty("Responses").GetProperty(node.Name).GetString());
        }

        // A tag filter that does not match: Meshwork must neither ack nor answer.
        (code, stdout, err) = await agent.CliAsync("query", "-format=json", "-timeout=2s", "-tag", "role=^web$", "echo", "x");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var acks = doc.RootElement.GetProperty("Acks");
            Assert.True(acks.ValueKind == JsonValueKind.Null || acks.EnumerateArray().All(a => a.GetString() != node.Name));
        }

        // A node filter naming us.
        (code, stdout, err) = await agent.CliAsync("query", "-format=json", "-timeout=2s", "-node", node.Name, "-tag", "role=cs", "echo", "y");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Equal($"pong-from-{node.Name}:y", doc.RootElement.GetProperty("Responses").GetProperty(node.Name).GetString());
        }
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Meshwork_query_collects_acks_and_responses_from_agents_including_relays()
    {
        using var scripts = new HandlerScripts();
        await using var a1 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), scripts.AgentArgs);
        await using var a2 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), [.. scripts.AgentArgs, $"-join=127.0.0.1:{a1.BindPort}"]);
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([a1.EndPoint]);
        await Eventually.TrueAsync(() => node.Members().Count(m => m.Status == MemberStatus.Alive) == 3, "three members alive");

        var response = node.Query("echo", Encoding.UTF8.GetBytes("q1"), new QueryParams { RequestAck = true, RelayFactor = 1, Timeout = TimeSpan.FromSeconds(3) });
        var acksTask = response.CollectAcksAsync();
        var responses = await response.CollectAsync();
        var acks = await acksTask;
        Assert.Contains(a1.Name, acks);
        Assert.Contains(a2.Name, acks);
        Assert.Equal($"pong-from-{a1.Name}:q1", Encoding.UTF8.GetString(Assert.Single(responses, r => r.From == a1.Name).Payload));
        Assert.Equal($"pong-from-{a2.Name}:q1", Encoding.UTF8.GetString(Assert.Single(responses, r => r.From == a2.Name).Payload));
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Agent_query_with_relay_factor_gets_one_answer_per_node_and_no_decode_errors()
    {
        using var scripts = new HandlerScripts();
        await using var a1 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), scripts.AgentArgs);
        await using var a2 = await SerfAgent.StartAsync(Cluster.UniqueName("agent"), [.. scripts.AgentArgs, $"-join=127.0.0.1:{a1.BindPort}"]);
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await using var sink = new EventSink(node);
        await node.JoinAsync([a1.EndPoint]);
        await Eventually.TrueAsync(async () => (await a1.MembersAsync()).Count(m => m.Status == "alive") == 3, "three alive at a1");

        var (code, stdout, err) = await a1.CliAsync("query", "-format=json", "-timeout=3s", "-relay-factor=1", "echo", "relayed");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(stdout);
        var responses = doc.RootElement.GetProperty("Responses");
        Assert.Equal($"pong-from-{node.Name}:relayed", responses.GetProperty(node.Name).GetString());
        Assert.Equal(3, responses.EnumerateObject().Count());
        var acks = doc.RootElement.GetProperty("Acks").EnumerateArray().Select(x => x.GetString()).ToList();
        Assert.Equal(acks.Distinct().Count(), acks.Count);

        // -no-ack: responses only.
        (code, stdout, err) = await a2.CliAsync("query", "-format=json", "-timeout=2s", "-no-ack", "echo", "quiet");
        Assert.True(code == 0, err);
        using var doc2 = JsonDocument.Parse(stdout);
        Assert.Equal($"pong-from-{node.Name}:quiet", doc2.RootElement.GetProperty("Responses").GetProperty(node.Name).GetString());
        foreach (var agent in new[] { a1, a2 })
        {
            Assert.DoesNotContain("Failed to decode", agent.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("[ERR] serf", agent.Log, StringComparison.Ordinal);
        }
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Meshwork_query_filters_are_understood_by_agents()
    {
        using var scripts = new HandlerScripts();
        await using var web = await SerfAgent.StartAsync(Cluster.UniqueName("web"), [.. scripts.AgentArgs, "-tag", "role=web"]);
        await using var db = await SerfAgent.StartAsync(Cluster.UniqueName("db"), [.. scripts.AgentArgs, "-tag", "role=db", $"-join=127.0.0.1:{web.BindPort}"]);
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"));
        await node.JoinAsync([web.EndPoint]);
        await Eventually.TrueAsync(() => node.Members().Count(m => m.Status == MemberStatus.Alive) == 3, "three alive");

        var byTag = node.Query("echo", "t"u8.ToArray(), new QueryParams { RequestAck = true, FilterTags = { ["role"] = "^d" }, Timeout = TimeSpan.FromSeconds(3) });
        var tagAcks = byTag.CollectAcksAsync();
        var tagResponses = await byTag.CollectAsync();
        Assert.Equal([db.Name], await tagAcks);
        Assert.Equal([db.Name], tagResponses.Select(r => r.From));

        var byName = node.Query("echo", "n"u8.ToArray(), new QueryParams { FilterNodes = { web.Name }, Timeout = TimeSpan.FromSeconds(3) });
        Assert.Equal([web.Name], (await byName.CollectAsync()).Select(r => r.From));
    }
}
