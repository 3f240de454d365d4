using System.CommandLine;
using System.Diagnostics;
using System.Threading.Channels;
using Meshwork.Rpc;
using Meshwork.Serf;

namespace Meshwork.Cli.Demo;

/// <summary>
/// <c>meshwork demo</c>: a local cluster on loopback with the embedded defaults and no external servers. Each node
/// serves RPC and announces its address as a gossip tag; the client discovers nodes from gossip membership and drives
/// every call kind (unary, server streaming, client streaming, one-way, duplex). Then, while the client keeps calling,
/// one node is drained gracefully (leave gossip, go-away, finish in-flight) and one node, running as a separate
/// process, is killed with SIGKILL and found failed by gossip.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Bounds every wait in the demo, so a broken environment ends it with an error instead of a hang.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "In-process server nodes to start (one more runs as a separate process, to be killed)", DefaultValueFactory = _ => 3 };
        var calls = new Option<int>("--calls") { Description = "Unary calls to spread over the nodes", DefaultValueFactory = _ => 3000 };
        var command = new Command("demo", "Run a local demo cluster on loopback (gossip discovery, no external servers)") { nodes, calls };
        command.SetAction((result, ct) => RunAsync(result.GetValue(nodes), result.GetValue(calls), ct));
        return command;
    }

    private static async Task<int> RunAsync(int nodeCount, int callCount, CancellationToken ct)
    {
        if (nodeCount < 1)
        {
            Console.Error.WriteLine("error: --nodes must be at least 1");
            return 2;
        }
        if (callCount < 0)
        {
            Console.Error.WriteLine("error: --calls must not be negative");
            return 2;
        }
        Console.WriteLine($"Starting {nodeCount} Meshwork nodes on 127.0.0.1 (RPC + Serf-compatible gossip) and one more in a separate process ...");
        var nodes = new List<DemoNode>();
        DemoNodeProcess? external = null;
        SerfNode? clientGossip = null;
        GossipEndpoints? endpoints = null;
        try
        {
            for (int i = 0; i < nodeCount; i++)
            {
                var node = await DemoNode.StartAsync($"node-{i + 1}", nodes.Count > 0 ? nodes[0].Gossip.LocalEndPoint : null, ct);
                nodes.Add(node);
                Console.WriteLine($"  {node.Name}: rpc {node.Server.BoundEndpoints[0]}, gossip {node.Gossip.LocalEndPoint}");
            }
            external = await DemoNodeProcess.StartAsync($"node-{nodeCount + 1}", nodes[0].Gossip.LocalEndPoint, ct);
            Console.WriteLine($"  {external.Name}: {external.ReadyLine} (separate process)");

            clientGossip = DemoNode.StartGossip("demo-client", new Dictionary<string, string>());
            await clientGossip.JoinAsync([nodes[0].Gossip.LocalEndPoint], cancellationToken: ct);
            endpoints = new GossipEndpoints(clientGossip);
            var sw = Stopwatch.StartNew();
            int expected = nodeCount + 1;
            if (!await endpoints.WaitAsync(e => e.Count == expected, WaitLimit, ct))
            {
                Console.Error.WriteLine($"error: the client discovered only {endpoints.Count} of {expected} nodes through gossip");
                return 1;
            }
            Console.WriteLine($"Client discovered {endpoints.Count} nodes through gossip in {sw.Elapsed.TotalMilliseconds:N0} ms: {string.Join(", ", endpoints.Nodes)}");

            await CallEveryKindAsync(endpoints, callCount, ct);
            if (nodes.Count > 1) await DrainAsync(nodes[^1], endpoints, ct);
            await KillAsync(external, nodes.Take(nodes.Count > 1 ? nodes.Count - 1 : 1).ToList(), clientGossip, endpoints, ct);

            Console.WriteLine();
            Console.WriteLine("Demo complete.");
            return 0;
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        finally
        {
            if (endpoints is not null) await endpoints.DisposeAsync();
            if (clientGossip is not null) await clientGossip.DisposeAsync();
            if (external is not null) await external.DisposeAsync();
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    private static async Task CallEveryKindAsync(GossipEndpoints endpoints, int callCount, CancellationToken ct)
    {
        Console.WriteLine();
        foreach (var node in endpoints.Nodes)
        {
            Console.WriteLine("  " + await endpoints.Channel(node).UnaryAsync(DemoContract.Greet, "demo", ct));
        }

        Console.WriteLine();
        Console.WriteLine($"Spreading {callCount} concurrent unary calls over the discovered nodes ...");
        var sw = Stopwatch.StartNew();
        var tasks = new Task<string>[callCount];
        for (int i = 0; i < callCount; i++) tasks[i] = endpoints.Next().Channel.UnaryAsync(DemoContract.Greet, "c" + i, ct).AsTask();
        var replies = await Task.WhenAll(tasks);
        foreach (var group in replies.GroupBy(r => r[(r.LastIndexOf(' ') + 1)..]).OrderBy(g => g.Key))
        {
            Console.WriteLine($"  {group.Key}: {group.Count()} calls");
        }
        Console.WriteLine($"  done in {sw.Elapsed.TotalMilliseconds:N0} ms");

        Console.WriteLine();
        var (streamNode, streamChannel) = endpoints.Next();
        Console.WriteLine($"Server streaming from {streamNode}:");
        await foreach (var line in streamChannel.ServerStreaming(DemoContract.Countdown, 3, ct)) Console.WriteLine("  " + line);

        var (sumNode, sumChannel) = endpoints.Next();
        Console.WriteLine($"Client streaming 1..100 to {sumNode}: sum = {await sumChannel.ClientStreamingAsync(DemoContract.Sum, Numbers(100), ct)}");

        const int notifications = 10;
        var (notifyNode, notifyChannel) = endpoints.Next();
        for (int i = 0; i < notifications; i++) await notifyChannel.OneWayAsync(DemoContract.Notify, $"note {i}", ct);
        // A one-way call has no reply: delivery shows only in the server's own count, read back with a unary call.
        long delivered = 0;
        var poll = Stopwatch.StartNew();
        while ((delivered = await notifyChannel.UnaryAsync(DemoContract.Notified, "", ct)) < notifications && poll.Elapsed < WaitLimit)
        {
            await Task.Delay(10, ct);
        }
        Console.WriteLine($"One-way: {notifications} notifications sent to {notifyNode} without replies; {notifyNode} counted {delivered} delivered");

        var (chatNode, chatChannel) = endpoints.Next();
        Console.WriteLine($"Duplex streaming with {chatNode} (each word is sent only after the previous echo came back on the same call):");
        var words = Channel.CreateUnbounded<string>();
        string[] said = ["alpha", "beta", "gamma", "delta"];
        int echoed = 0;
        await words.Writer.WriteAsync(said[0], ct);
        await foreach (var echo in chatChannel.DuplexStreaming(DemoContract.Chat, words.Reader.ReadAllAsync(ct), new CallOptions { CancellationToken = ct }))
        {
            Console.WriteLine($"  sent '{said[echoed]}', {chatNode} echoed '{echo}'");
            if (++echoed < said.Length) await words.Writer.WriteAsync(said[echoed], ct);
            else words.Writer.Complete();
        }
        Console.WriteLine($"  duplex: {said.Length} sent, {echoed} echoed");
    }

    private static async Task DrainAsync(DemoNode leaving, GossipEndpoints endpoints, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Draining {leaving.Name}: leave gossip, then go-away and finish in-flight calls, while the client keeps calling ...");
        await using var caller = new ContinuousCaller(endpoints, "drain", ct);
        await Require(caller.WaitAsync("drain", t => t.OkByNode.ContainsKey(leaving.Name), WaitLimit, ct), $"calls reaching {leaving.Name} before the drain");
        var sw = Stopwatch.StartNew();
        await leaving.Gossip.LeaveAsync();
        await Require(endpoints.WaitAsync(e => !e.Nodes.Contains(leaving.Name), WaitLimit, ct), $"the client seeing {leaving.Name} leave");
        Console.WriteLine($"  the client saw {leaving.Name} leave after {sw.Elapsed.TotalMilliseconds:N0} ms; it now calls {string.Join(", ", endpoints.Nodes)}");
        await leaving.Server.StopAsync(ct);
        int before = caller.Snapshot("drain").Ok;
        await Require(caller.WaitAsync("drain", t => t.Ok >= before + 50, WaitLimit, ct), "calls going on after the drain");
        var tally = caller.Snapshot("drain");
        Console.WriteLine($"  {tally.Ok} calls succeeded during the drain, {tally.Failed} failed{FirstError(tally)}");
    }

    private static async Task KillAsync(DemoNodeProcess victim, List<DemoNode> survivors, SerfNode clientGossip, GossipEndpoints endpoints, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Killing {victim.Name} (pid {victim.Pid}) with SIGKILL, as kill -9 does: no leave, no go-away; the client keeps calling ...");
        await using var caller = new ContinuousCaller(endpoints, "before", ct);
        await Require(caller.WaitAsync("before", t => t.OkByNode.GetValueOrDefault(victim.Name) >= 5, WaitLimit, ct), $"calls reaching {victim.Name} before the kill");
        caller.BeginPhase("undetected");
        var sw = Stopwatch.StartNew();
        await victim.KillAsync();
        var before = caller.Snapshot("before");
        Console.WriteLine($"  before the kill: {before.Ok} calls succeeded ({before.OkByNode.GetValueOrDefault(victim.Name)} on {victim.Name}), {before.Failed} failed");

        await Require(endpoints.WaitAsync(e => !e.Nodes.Contains(victim.Name), WaitLimit, ct), $"gossip noticing that {victim.Name} is gone");
        caller.BeginPhase("after");
        var detectedAfter = sw.Elapsed;
        var status = endpoints.RemovedAs(victim.Name);
        Console.WriteLine($"  gossip detected it: after {detectedAfter.TotalMilliseconds:N0} ms the client's member list has {victim.Name} as {Describe(status)};");
        Console.WriteLine($"    found by failure detection (probes unanswered, indirect probes through other members unanswered, suspicion timed out), since {victim.Name} sent no leave");
        bool allAgree = await WaitAllSeeFailedAsync(victim.Name, survivors, clientGossip, ct);
        Console.WriteLine(allAgree
            ? $"  all {survivors.Count + 1} remaining members (nodes and client) list {victim.Name} as failed"
            : $"  not every remaining member lists {victim.Name} as failed yet");

        var undetected = caller.Snapshot("undetected");
        Console.WriteLine($"  between the kill and detection: {undetected.Ok} calls succeeded, {undetected.Failed} failed " +
            $"({undetected.FailedByNode.GetValueOrDefault(victim.Name)} of them sent to {victim.Name}){FirstError(undetected)}");
        await Require(caller.WaitAsync("after", t => t.Ok + t.Failed >= 100, WaitLimit, ct), "calls after detection");
        var after = caller.Snapshot("after");
        Console.WriteLine($"  after detection: {after.Ok} calls succeeded, {after.Failed} failed{FirstError(after)}; the client calls {string.Join(", ", endpoints.Nodes)}");
    }

    private static async Task<bool> WaitAllSeeFailedAsync(string victim, List<DemoNode> survivors, SerfNode clientGossip, CancellationToken ct)
    {
        var members = survivors.Select(s => s.Gossip).Append(clientGossip).ToList();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < WaitLimit)
        {
            if (members.All(m => m.Members().Any(x => x.Name == victim && x.Status == MemberStatus.Failed))) return true;
            await Task.Delay(20, ct);
        }
        return false;
    }

    private static string Describe(MemberStatus? status) => status switch
    {
        MemberStatus.Failed => "failed",
        MemberStatus.Left => "left",
        null => "still alive",
        var s => s.ToString()!.ToLowerInvariant(),
    };

    private static string FirstError(ContinuousCaller.Tally t) => t.FirstError is null ? "" : $" (first error: {t.FirstError})";

    private static async Task Require(Task<bool> wait, string what)
    {
        if (!await wait) throw new TimeoutException($"gave up after {WaitLimit.TotalSeconds:0} s waiting for {what}");
    }

    private static async IAsyncEnumerable<int> Numbers(int n)
    {
        for (int i = 1; i <= n; i++)
        {
            yield return i;
        }
        await Task.CompletedTask;
    }
}
