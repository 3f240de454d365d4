using System.CommandLine;
using System.Diagnostics;
using System.Threading.Channels;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance;
using Meshwork.Governance.Balancing;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Serf;

namespace Meshwork.Cli.Demo;

/// <summary>
/// <c>meshwork demo</c>: a local cluster on loopback with the embedded defaults and no external servers, built on the
/// library: each node registers its service with <see cref="GossipServiceRegistry"/> through a
/// <see cref="Governance.Server.DiscoverableServer"/>; the client is a <see cref="GovernedCallInvoker"/> with the
/// default P2C-EWMA balancer and fail-over, and drives every call kind (unary, server streaming, client streaming,
/// one-way, duplex). Then, while the client keeps calling, one node is drained gracefully (deregister, leave, wait,
/// go-away, finish in-flight, close) and one node, running as a separate process, is killed with SIGKILL: gossip
/// finds it failed, and fail-over keeps every idempotent call succeeding meanwhile.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Bounds every wait in the demo, so a broken environment ends it with an error instead of a hang.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "In-process server nodes to start (one more runs as a separate process, to be killed)", DefaultValueFactory = _ => 3 };
        var calls = new Option<int>("--calls") { Description = "Unary calls to spread over the nodes", DefaultValueFactory = _ => 3000 };
        var dashboardPort = new Option<int>("--dashboard-port") { Description = "Port of the web dashboard on 127.0.0.1 (0: a free port)", DefaultValueFactory = _ => 0 };
        var linger = new Option<double>("--linger") { Description = "Seconds to keep the cluster and the dashboard up after the demo (0: exit at once)", DefaultValueFactory = _ => 0 };
        var statusInterval = new Option<double?>("--status-interval")
        {
            Description = "Seconds between live status updates (default: 1 on a terminal, redrawn in place; 5 when stdout is redirected, one line each; 0: off)",
        };
        var command = new Command("demo", "Run a local demo cluster on loopback (gossip discovery, no external servers)") { nodes, calls, dashboardPort, linger, statusInterval };
        command.SetAction((result, ct) => RunAsync(result.GetValue(nodes), result.GetValue(calls), result.GetValue(dashboardPort), result.GetValue(linger),
            result.GetValue(statusInterval) is { } s ? s : DemoStatus.DefaultInterval.TotalSeconds, ct));
        return command;
    }

    private static async Task<int> RunAsync(int nodeCount, int callCount, int dashboardPort, double linger, double statusSeconds, CancellationToken ct)
    {
        if (statusSeconds < 0 || double.IsNaN(statusSeconds) || statusSeconds > 3600)
        {
            Console.Error.WriteLine($"error: --status-interval must be between 0 and 3600 seconds (was {statusSeconds})");
            return 2;
        }
        if (dashboardPort is < 0 or > 65535)
        {
            Console.Error.WriteLine($"error: --dashboard-port must be between 0 and 65535 (was {dashboardPort})");
            return 2;
        }
        if (linger < 0 || double.IsNaN(linger))
        {
            Console.Error.WriteLine($"error: --linger must not be negative (was {linger})");
            return 2;
        }
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
        Console.WriteLine($"Starting {nodeCount} Meshwork nodes on 127.0.0.1 (RPC + Serf-compatible gossip + gossip service discovery) and one more in a separate process ...");
        var nodes = new List<DemoNode>();
        DemoNodeProcess? external = null;
        SerfNode? clientGossip = null;
        GossipServiceRegistry? clientRegistry = null;
        GovernedCallInvoker? invoker = null;
        DemoDashboard? dashboard = null;
        DemoStatus? status = null;
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

            clientGossip = DemoNode.StartGossip("demo-client");
            await clientGossip.JoinAsync([nodes[0].Gossip.LocalEndPoint], cancellationToken: ct);
            clientRegistry = new GossipServiceRegistry(clientGossip);
            // Library defaults throughout: the demo shows what every client gets without configuration.
            var options = new GovernanceOptions { Client = new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(5) } };
            invoker = new GovernedCallInvoker(clientRegistry, options);
            dashboard = await DemoDashboard.StartAsync(clientGossip, clientRegistry, invoker, dashboardPort, ct);
            Console.WriteLine($"Dashboard: {dashboard.Url} (members, coordinates, instances, breakers, calls and events, live)");
            status = DemoStatus.Start(dashboard.Dashboard, dashboard.Url, TimeSpan.FromSeconds(statusSeconds));
            var policy = options.For(DemoContract.Service);
            var greetPolicy = policy.For(DemoContract.Greet.Name);
            Console.WriteLine($"Client: GovernedCallInvoker over GossipServiceRegistry; balancer '{policy.Balancer}' (power of two choices over EWMA latency), " +
                $"fail mode {greetPolicy.FailMode} for idempotent calls (up to {greetPolicy.MaxAttempts} attempts, retry budget {policy.RetryBudgetRatio:P0} + {policy.RetryBudgetReserve})");

            var sw = Stopwatch.StartNew();
            int expected = nodeCount + 1;
            var found = await WaitEndpointsAsync(invoker, e => e.Count == expected, ct);
            if (found.Count != expected)
            {
                Console.Error.WriteLine($"error: the client discovered only {found.Count} of {expected} instances of '{DemoContract.Service}' through gossip");
                return 1;
            }
            Console.WriteLine($"Client discovered {found.Count} instances of '{DemoContract.Service}' through gossip in {sw.Elapsed.TotalMilliseconds:N0} ms: {NodeList(found)}");

            await CallEveryKindAsync(invoker, callCount, ct);
            // Each later phase calls through a client of its own: a fresh P2C has no latency history, so it sends calls
            // to every node at once, and the drained and the killed node are sure to be serving calls when they go.
            if (nodes.Count > 1)
            {
                await using var drainClient = await StartClientAsync(clientRegistry, options, expected--, ct);
                await DrainAsync(nodes[^1], drainClient, ct);
            }
            await using (var killClient = await StartClientAsync(clientRegistry, options, expected, ct))
            {
                await KillAsync(external, nodes.Take(nodes.Count > 1 ? nodes.Count - 1 : 1).ToList(), clientGossip, killClient, ct);
            }

            Console.WriteLine();
            Console.WriteLine("Demo complete.");
            if (linger > 0)
            {
                Console.WriteLine($"The cluster and the dashboard stay up for {linger:0.#} s: {dashboard.Url} (Ctrl+C ends it sooner)");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(linger), ct);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return 0;
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        finally
        {
            if (status is not null) await status.DisposeAsync();
            if (dashboard is not null) await dashboard.DisposeAsync();
            if (invoker is not null) await invoker.DisposeAsync();
            if (clientRegistry is not null) await clientRegistry.DisposeAsync();
            if (clientGossip is not null) await clientGossip.DisposeAsync();
            if (external is not null) await external.DisposeAsync();
            // In parallel: each node drains (deregister, leave, wait, go-away), and one at a time would add seconds.
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        }
    }

    /// <summary>A new governed client on the shared registry, once it has discovered <paramref name="expected"/> instances.</summary>
    private static async Task<GovernedCallInvoker> StartClientAsync(GossipServiceRegistry registry, GovernanceOptions options, int expected, CancellationToken ct)
    {
        var invoker = new GovernedCallInvoker(registry, options);
        if ((await WaitEndpointsAsync(invoker, e => e.Count == expected, ct)).Count != expected)
        {
            await invoker.DisposeAsync();
            throw new TimeoutException($"gave up after {WaitLimit.TotalSeconds:0} s waiting for a new client to discover {expected} instances");
        }
        return invoker;
    }

    /// <summary>The discovered endpoints once <paramref name="condition"/> holds, or the last seen set after <see cref="WaitLimit"/>.</summary>
    private static async Task<IReadOnlyList<InstanceEndpoint>> WaitEndpointsAsync(GovernedCallInvoker invoker, Func<IReadOnlyList<InstanceEndpoint>, bool> condition, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(WaitLimit);
        try
        {
            return await invoker.WaitForEndpointsAsync(DemoContract.Service, condition, limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return invoker.Endpoints(DemoContract.Service);
        }
    }

    /// <summary>What P2C weighs per node: the latency EWMA and the calls in flight.</summary>
    private static string BalancerState(GovernedCallInvoker invoker) =>
        string.Join(", ", invoker.Endpoints(DemoContract.Service).OrderBy(e => e.Instance.Node, StringComparer.Ordinal)
            .Select(e => $"{e.Instance.Node} EWMA {e.LatencyEwmaMicros / 1000:0.00} ms, {e.Outstanding} in flight"));

    private static string NodeList(IEnumerable<InstanceEndpoint> endpoints) =>
        string.Join(", ", endpoints.Select(e => e.Instance.Node ?? e.Instance.Address).Order(StringComparer.Ordinal));

    /// <summary>The per-instance channel of one discovered endpoint, to ask that very node (not whichever the balancer picks).</summary>
    private static CallInvoker Direct(InstanceEndpoint endpoint) =>
        endpoint.Channel ?? throw new InvalidOperationException($"endpoint {endpoint.Instance} has no channel");

    private static async Task CallEveryKindAsync(GovernedCallInvoker invoker, int callCount, CancellationToken ct)
    {
        // Instrumented, so that the dashboard and the live status show the client's view of these calls.
        var calls = new Diagnostics.InstrumentedCallInvoker(invoker);
        Console.WriteLine();
        foreach (var endpoint in invoker.Endpoints(DemoContract.Service).OrderBy(e => e.Instance.Node, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {endpoint.Instance}: " + await Direct(endpoint).UnaryAsync(DemoContract.Greet, "demo", new CallOptions { CancellationToken = ct }));
        }

        Console.WriteLine();
        Console.WriteLine($"Spreading {callCount} concurrent unary calls over the discovered nodes with the P2C-EWMA balancer ...");
        var sw = Stopwatch.StartNew();
        var tasks = new Task<string>[callCount];
        for (int i = 0; i < callCount; i++) tasks[i] = calls.UnaryAsync(DemoContract.Greet, "c" + i, new CallOptions { CancellationToken = ct }).AsTask();
        var replies = await Task.WhenAll(tasks);
        foreach (var group in replies.GroupBy(ContinuousCaller.NodeOf).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {group.Key}: {group.Count()} calls");
        }
        Console.WriteLine($"  {replies.Length} calls done in {sw.Elapsed.TotalMilliseconds:N0} ms");

        Console.WriteLine();
        Console.WriteLine("Server streaming (the balancer picks the node):");
        await foreach (var line in calls.ServerStreaming(DemoContract.Countdown, 3, new CallOptions { CancellationToken = ct })) Console.WriteLine("  " + line);

        Console.WriteLine($"Client streaming 1..100: sum = {await calls.ClientStreamingAsync(DemoContract.Sum, Numbers(100), new CallOptions { CancellationToken = ct })}");

        const int notifications = 10;
        for (int i = 0; i < notifications; i++) await calls.OneWayAsync(DemoContract.Notify, $"note {i}", new CallOptions { CancellationToken = ct });
        // A one-way call has no reply: delivery shows only in the servers' own counts, read back from each node directly.
        var endpoints = invoker.Endpoints(DemoContract.Service);
        var counts = new long[endpoints.Count];
        var poll = Stopwatch.StartNew();
        while (true)
        {
            for (int i = 0; i < endpoints.Count; i++) counts[i] = await Direct(endpoints[i]).UnaryAsync(DemoContract.Notified, "", new CallOptions { CancellationToken = ct });
            if (counts.Sum() >= notifications || poll.Elapsed > WaitLimit) break;
            await Task.Delay(10, ct);
        }
        var perNode = endpoints.Select((e, i) => (Node: e.Instance.Node, Count: counts[i])).Where(x => x.Count > 0).OrderBy(x => x.Node, StringComparer.Ordinal);
        Console.WriteLine($"One-way: {notifications} notifications sent through the balancer without replies; the nodes counted {counts.Sum()} delivered " +
            $"({string.Join(", ", perNode.Select(x => $"{x.Node}: {x.Count}"))})");

        Console.WriteLine("Duplex streaming (each word is sent only after the previous echo came back on the same call):");
        var words = Channel.CreateUnbounded<string>();
        string[] said = ["alpha", "beta", "gamma", "delta"];
        int echoed = 0;
        await words.Writer.WriteAsync(said[0], ct);
        await foreach (var echo in calls.DuplexStreaming(DemoContract.Chat, words.Reader.ReadAllAsync(ct), new CallOptions { CancellationToken = ct }))
        {
            Console.WriteLine($"  sent '{said[echoed]}', echoed '{echo}'");
            if (++echoed < said.Length) await words.Writer.WriteAsync(said[echoed], ct);
            else words.Writer.Complete();
        }
        Console.WriteLine($"  duplex: {said.Length} sent, {echoed} echoed");
    }

    private static async Task DrainAsync(DemoNode leaving, GovernedCallInvoker invoker, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Draining {leaving.Name} with DiscoverableServer.DrainAsync (deregister, leave gossip, wait for propagation, go-away, finish in-flight, close) while the client keeps calling ...");
        await using var caller = new ContinuousCaller(invoker, "drain", ct);
        await Require(caller.WaitAsync("drain", t => t.OkByNode.ContainsKey(leaving.Name), WaitLimit, ct), $"calls reaching {leaving.Name} before the drain");
        var sw = Stopwatch.StartNew();
        var drain = leaving.Discoverable.DrainAsync(ct);
        var rest = await WaitEndpointsAsync(invoker, e => !e.Any(x => x.Instance.Node == leaving.Name), ct);
        if (rest.Any(x => x.Instance.Node == leaving.Name)) throw new TimeoutException($"gave up after {WaitLimit.TotalSeconds:0} s waiting for the client to drop {leaving.Name}");
        Console.WriteLine($"  the client dropped {leaving.Name} after {sw.Elapsed.TotalMilliseconds:N0} ms, while it still served; it now calls {NodeList(rest)}");
        await drain;
        Console.WriteLine($"  {leaving.Name} drained and closed after {sw.Elapsed.TotalMilliseconds:N0} ms");
        int before = caller.Snapshot("drain").Ok;
        await Require(caller.WaitAsync("drain", t => t.Ok >= before + 50, WaitLimit, ct), "calls going on after the drain");
        var tally = caller.Snapshot("drain");
        Console.WriteLine($"  {tally.Ok} calls succeeded during the drain, {tally.Failed} failed{FirstError(tally)}");
    }

    private static async Task KillAsync(DemoNodeProcess victim, List<DemoNode> survivors, SerfNode clientGossip, GovernedCallInvoker invoker, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Killing {victim.Name} (pid {victim.Pid}) with SIGKILL, as kill -9 does: no deregistration, no leave, no go-away; the client keeps calling ...");
        await using var caller = new ContinuousCaller(invoker, "before", ct);
        await Require(caller.WaitAsync("before", t => t.OkByNode.GetValueOrDefault(victim.Name) >= 5, WaitLimit, ct), $"calls reaching {victim.Name} before the kill");
        var victimEndpoint = invoker.Endpoints(DemoContract.Service).First(e => e.Instance.Node == victim.Name);
        long victimFailuresBefore = victimEndpoint.Failures;
        Console.WriteLine($"  P2C state: {BalancerState(invoker)}");
        caller.BeginPhase("undetected");
        var sw = Stopwatch.StartNew();
        await victim.KillAsync();
        var before = caller.Snapshot("before");
        Console.WriteLine($"  before the kill: {before.Ok} calls succeeded ({before.OkByNode.GetValueOrDefault(victim.Name)} on {victim.Name}), {before.Failed} failed");

        var rest = await WaitEndpointsAsync(invoker, e => !e.Any(x => x.Instance.Node == victim.Name), ct);
        if (rest.Any(x => x.Instance.Node == victim.Name)) throw new TimeoutException($"gave up after {WaitLimit.TotalSeconds:0} s waiting for gossip to notice that {victim.Name} is gone");
        caller.BeginPhase("after");
        var detectedAfter = sw.Elapsed;
        var status = clientGossip.Members().FirstOrDefault(m => m.Name == victim.Name)?.Status;
        Console.WriteLine($"  gossip detected it: after {detectedAfter.TotalMilliseconds:N0} ms the client dropped {victim.Name}; its member list has {victim.Name} as {Describe(status)};");
        Console.WriteLine($"    found by failure detection (probes unanswered, indirect probes through other members unanswered, suspicion timed out), since {victim.Name} sent no leave");
        bool allAgree = await WaitAllSeeFailedAsync(victim.Name, survivors, clientGossip, ct);
        Console.WriteLine(allAgree
            ? $"  all {survivors.Count + 1} remaining members (nodes and client) list {victim.Name} as failed"
            : $"  not every remaining member lists {victim.Name} as failed yet");

        var undetected = caller.Snapshot("undetected");
        Console.WriteLine($"  between the kill and detection: {undetected.Ok} calls succeeded, {undetected.Failed} failed{FirstError(undetected)}");
        await Require(caller.WaitAsync("after", t => t.Ok + t.Failed >= 100, WaitLimit, ct), "calls after detection");
        var after = caller.Snapshot("after");
        Console.WriteLine($"  after detection: {after.Ok} calls succeeded, {after.Failed} failed{FirstError(after)}; the client calls {NodeList(invoker.Endpoints(DemoContract.Service))}");
        Console.WriteLine($"  attempts the balancer sent to {victim.Name} after the kill and that failed there: {victimEndpoint.Failures - victimFailuresBefore}; fail-over retried each on another node");
        int failed = before.Failed + undetected.Failed + after.Failed;
        Console.WriteLine($"  => {failed} failed idempotent calls across the kill -9 ({before.Ok + undetected.Ok + after.Ok} succeeded): " +
            (failed == 0 ? "calls that reached the dead node failed over to another instance" : "some calls were lost"));
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
