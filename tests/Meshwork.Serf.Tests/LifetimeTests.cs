namespace Meshwork.Serf.Tests;

/// <summary>Reaping, tombstones, reconnects and snapshots.</summary>
public class LifetimeTests
{
    [Trait("Category", "Interop")]
    [Fact]
    public async Task Failed_and_left_members_are_reaped_after_their_timeouts()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), configure: o =>
        {
            o.ReapInterval = TimeSpan.FromMilliseconds(500);
            o.ReconnectTimeout = TimeSpan.FromSeconds(2);
            o.TombstoneTimeout = TimeSpan.FromSeconds(2);
        });
        await using var sink = new EventSink(node);
        await using var failing = await SerfAgent.StartAsync(Cluster.UniqueName("agent-f"), $"-join=127.0.0.1:{node.LocalEndPoint.Port}");
        await using var leaving = await SerfAgent.StartAsync(Cluster.UniqueName("agent-l"), $"-join=127.0.0.1:{node.LocalEndPoint.Port}");
        await Eventually.TrueAsync(() => node.Members().Count(m => m.Status == MemberStatus.Alive) == 3, "three alive");

        await failing.KillAsync();
        await leaving.CliAsync("leave");
        await Eventually.TrueAsync(() => node.Member(failing.Name) is null && node.Member(leaving.Name) is null, "both reaped");
        // The sink drains events on a loop of its own: the second reap's event can still be on its way when the member
        // table no longer holds the member.
        await Eventually.TrueAsync(() => sink.MemberEvents.Count(e => e.Type == MemberEventType.Reap) >= 2, "both reap events delivered");
        Assert.Contains(sink.MemberEvents, e => e.Type == MemberEventType.Failed && e.Member.Name == failing.Name);
        Assert.Contains(sink.MemberEvents, e => e.Type == MemberEventType.Leave && e.Member.Name == leaving.Name);
        Assert.Equal(2, sink.MemberEvents.Count(e => e.Type == MemberEventType.Reap));
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Reconnect_loop_brings_back_a_restarted_agent_that_did_not_rejoin()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("csharp"), configure: o => o.ReconnectInterval = TimeSpan.FromSeconds(1));
        var name = Cluster.UniqueName("agent");
        var first = await SerfAgent.StartAsync(name, $"-join=127.0.0.1:{node.LocalEndPoint.Port}");
        var port = first.BindPort;
        await using (first)
        {
            await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Alive, "joined");
            await first.KillAsync();
            await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Failed, "failed");
        }
        await using var again = await SerfAgent.StartOnPortAsync(name, port);
        await Eventually.TrueAsync(() => node.Member(name)?.Status == MemberStatus.Alive, "reconnected by Meshwork");
        await Eventually.TrueAsync(async () => (await again.MemberAsync(node.Name))?.Status == "alive", "agent sees Meshwork again");
    }

    [Trait("Category", "Interop")]
    [Fact]
    public async Task Snapshot_lets_a_restarted_node_rejoin_and_a_left_node_stay_out()
    {
        using var scripts = new HandlerScripts();
        var snapshot = Path.Combine(scripts.Dir, "node.snapshot");
        await using var agent = await SerfAgent.StartAsync(Cluster.UniqueName("agent"));
        var name = Cluster.UniqueName("csharp");
        var port = SerfAgent.FreePort();
        void Configure(SerfOptions o)
        {
            o.SnapshotPath = snapshot;
            o.Memberlist.BindPort = port;
        }

        await using (var first = Cluster.StartNode(name, configure: Configure))
        {
            await first.JoinAsync([agent.EndPoint]);
            await Eventually.TrueAsync(async () => (await agent.MemberAsync(name))?.Status == "alive", "joined");
            first.UserEvent("seen-before", [1], coalesce: false);
            // The snapshot is flushed in the background; wait until it recorded the agent and the event clock.
            await Eventually.TrueAsync(() => ReadShared(snapshot).Contains("event-clock: ", StringComparison.Ordinal)
                && ReadShared(snapshot).Contains($"alive: {agent.Name} ", StringComparison.Ordinal), "snapshot flushed");
        }
        var text = await File.ReadAllTextAsync(snapshot);
        Assert.Contains($"alive: {agent.Name} 127.0.0.1:{agent.BindPort}", text, StringComparison.Ordinal);
        Assert.Contains("event-clock: ", text, StringComparison.Ordinal);

        // Restart without an explicit join: the snapshot drives the rejoin, and the old event is not replayed.
        await using (var second = Cluster.StartNode(name, configure: Configure))
        {
            await using var sink = new EventSink(second);
            Assert.Contains(agent.Name, second.SnapshotMembers.Keys);
            await Eventually.TrueAsync(() => second.Member(agent.Name)?.Status == MemberStatus.Alive, "rejoined from snapshot");
            await Eventually.TrueAsync(async () => (await agent.MemberAsync(name))?.Status == "alive", "agent sees it alive again");
            // A newer event from the agent as a marker: once it arrived, a replay of the old one would have too.
            var (code, _, err) = await agent.CliAsync("event", "-coalesce=false", "after-rejoin", "x");
            Assert.True(code == 0, err);
            await Eventually.TrueAsync(() => sink.UserEvents.Any(e => e.Name == "after-rejoin"), "marker event after the rejoin");
            Assert.DoesNotContain(sink.UserEvents, e => e.Name == "seen-before");
            await second.LeaveAsync();
        }
        Assert.Contains("leave", await File.ReadAllLinesAsync(snapshot));

        await using var third = Cluster.StartNode(name, configure: Configure);
        Assert.Empty(third.SnapshotMembers);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
