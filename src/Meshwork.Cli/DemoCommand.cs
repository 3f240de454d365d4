using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Meshwork.Gossip;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Meshwork.Serf;

namespace Meshwork.Cli;

/// <summary>
/// <c>meshwork demo</c>: a local cluster on loopback with the embedded defaults and no external servers. Each node
/// serves RPC and announces its address as a gossip tag; the client discovers nodes from gossip membership, spreads
/// calls over them, streams both ways, then drains one node (leave gossip, go-away, finish in-flight) while calls go on.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of server nodes to start", DefaultValueFactory = _ => 3 };
        var calls = new Option<int>("--calls") { Description = "Unary calls to spread over the nodes", DefaultValueFactory = _ => 3000 };
        var command = new Command("demo", "Run a local demo cluster on loopback (gossip discovery, no external servers)") { nodes, calls };
        command.SetAction((result, ct) => RunAsync(result.GetValue(nodes), result.GetValue(calls), ct));
        return command;
    }

    private sealed record DemoNode(string Name, RpcServer Server, SerfNode Gossip);

    private static SerfNode StartGossip(string name, IReadOnlyDictionary<string, string> tags)
    {
        var memberlist = MemberlistOptions.Local(name);
        memberlist.BindAddress = IPAddress.Loopback;
        memberlist.BindPort = 0;
        var node = new SerfNode(new SerfOptions { Memberlist = memberlist, Tags = new Dictionary<string, string>(tags), LeavePropagateDelay = TimeSpan.FromMilliseconds(300) });
        node.Start();
        return node;
    }

    private static async Task<int> RunAsync(int nodeCount, int callCount, CancellationToken ct)
    {
        if (nodeCount < 1)
        {
            Console.Error.WriteLine("error: --nodes must be at least 1");
            return 2;
        }
        Console.WriteLine($"Starting {nodeCount} Meshwork nodes on 127.0.0.1 (RPC + Serf-compatible gossip) ...");
        var nodes = new List<DemoNode>();
        SerfNode? clientGossip = null;
        GossipEndpoints? endpoints = null;
        try
        {
            for (int i = 0; i < nodeCount; i++)
            {
                string name = $"node-{i + 1}";
                var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) }, name: name);
                server.AddService(DemoContract.Bind(name));
                await server.StartAsync(ct);
                var gossip = StartGossip(name, new Dictionary<string, string> { [GossipEndpoints.RpcTag] = server.BoundEndpoints[0].Display });
                if (nodes.Count > 0) await gossip.JoinAsync([nodes[0].Gossip.LocalEndPoint], cancellationToken: ct);
                nodes.Add(new DemoNode(name, server, gossip));
                Console.WriteLine($"  {name}: rpc {server.BoundEndpoints[0]}, gossip {gossip.LocalEndPoint}");
            }

            clientGossip = StartGossip("demo-client", new Dictionary<string, string>());
            await clientGossip.JoinAsync([nodes[0].Gossip.LocalEndPoint], cancellationToken: ct);
            endpoints = new GossipEndpoints(clientGossip);
            var sw = Stopwatch.StartNew();
            while (endpoints.Count < nodeCount && sw.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20, ct);
            Console.WriteLine($"Client discovered {endpoints.Count} nodes through gossip in {sw.Elapsed.TotalMilliseconds:N0} ms: {string.Join(", ", endpoints.Nodes.Order())}");

            Console.WriteLine();
            for (int i = 0; i < endpoints.Count; i++)
            {
                var (_, channel) = endpoints.Next();
                Console.WriteLine("  " + await channel.UnaryAsync(DemoContract.Greet, "demo", ct));
            }

            Console.WriteLine();
            Console.WriteLine($"Spreading {callCount} concurrent unary calls over the discovered nodes ...");
            sw.Restart();
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

            if (nodes.Count > 1)
            {
                var leaving = nodes[^1];
                Console.WriteLine();
                Console.WriteLine($"Draining {leaving.Name}: leave gossip, then go-away and finish in-flight calls, while the client keeps calling ...");
                var calling = CallContinuouslyAsync(endpoints, ct);
                await Task.Delay(100, ct);
                sw.Restart();
                await leaving.Gossip.LeaveAsync();
                while (endpoints.Nodes.Contains(leaving.Name) && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10, ct);
                Console.WriteLine($"  the client saw {leaving.Name} leave after {sw.Elapsed.TotalMilliseconds:N0} ms; it now calls {string.Join(", ", endpoints.Nodes.Order())}");
                await leaving.Server.StopAsync(ct);
                await Task.Delay(200, ct);
                var (ok, failed, firstError) = await calling.Stop();
                Console.WriteLine($"  {ok} calls succeeded during the drain, {failed} failed{(firstError is null ? "" : " (first: " + firstError + ")")}");
            }
            Console.WriteLine();
            Console.WriteLine("Demo complete.");
            return 0;
        }
        finally
        {
            if (endpoints is not null) await endpoints.DisposeAsync();
            if (clientGossip is not null) await clientGossip.DisposeAsync();
            foreach (var n in nodes)
            {
                await n.Server.DisposeAsync();
                await n.Gossip.DisposeAsync();
            }
        }
    }

    private sealed class Caller(Task<(int, int, string?)> task, CancellationTokenSource stop)
    {
        public async Task<(int Ok, int Failed, string? FirstError)> Stop()
        {
            stop.Cancel();
            return await task;
        }
    }

    private static Caller CallContinuouslyAsync(GossipEndpoints endpoints, CancellationToken ct)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var task = Task.Run(async () =>
        {
            int ok = 0, failed = 0;
            string? firstError = null;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await endpoints.Next().Channel.UnaryAsync(DemoContract.Greet, "during-drain");
                    ok++;
                }
                catch (RpcException ex)
                {
                    failed++;
                    firstError ??= $"{ex.Status}: {ex.Message}";
                }
            }
            return (ok, failed, firstError);
        });
        return new Caller(task, stop);
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
