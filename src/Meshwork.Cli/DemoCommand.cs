using System.CommandLine;
using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Cli;

/// <summary>
/// <c>meshwork demo</c>: a local cluster on loopback with the embedded defaults and no external servers. It starts
/// several nodes, spreads calls over them, streams both ways, then drains one node (go-away) while calls continue.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of server nodes to start", DefaultValueFactory = _ => 3 };
        var calls = new Option<int>("--calls") { Description = "Unary calls to spread over the nodes", DefaultValueFactory = _ => 3000 };
        var command = new Command("demo", "Run a local demo cluster on loopback (no external servers needed)") { nodes, calls };
        command.SetAction((result, ct) => RunAsync(result.GetValue(nodes), result.GetValue(calls), ct));
        return command;
    }

    private static async Task<int> RunAsync(int nodeCount, int callCount, CancellationToken ct)
    {
        if (nodeCount < 1) throw new ArgumentException("--nodes must be at least 1");
        Console.WriteLine($"Starting {nodeCount} Meshwork nodes on 127.0.0.1 ...");
        var servers = new List<RpcServer>();
        var channels = new List<RpcChannel>();
        try
        {
            for (int i = 0; i < nodeCount; i++)
            {
                string name = $"node-{i + 1}";
                var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) }, name: name);
                server.AddService(DemoContract.Bind(name));
                await server.StartAsync(ct);
                servers.Add(server);
                channels.Add(RpcChannel.ForEndpoint(server.BoundEndpoints[0], new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(5) }));
                Console.WriteLine($"  {name} listening on {server.BoundEndpoints[0]}");
            }

            Console.WriteLine();
            for (int i = 0; i < channels.Count; i++)
            {
                Console.WriteLine("  " + await channels[i].UnaryAsync(DemoContract.Greet, "demo", ct));
            }

            Console.WriteLine();
            Console.WriteLine($"Spreading {callCount} concurrent unary calls round-robin over {nodeCount} nodes ...");
            var sw = Stopwatch.StartNew();
            var tasks = new Task<string>[callCount];
            for (int i = 0; i < callCount; i++) tasks[i] = channels[i % channels.Count].UnaryAsync(DemoContract.Greet, "c" + i, ct).AsTask();
            var replies = await Task.WhenAll(tasks);
            foreach (var group in replies.GroupBy(r => r[(r.LastIndexOf(' ') + 1)..]).OrderBy(g => g.Key))
            {
                Console.WriteLine($"  {group.Key}: {group.Count()} calls");
            }
            Console.WriteLine($"  done in {sw.Elapsed.TotalMilliseconds:N0} ms");

            Console.WriteLine();
            Console.WriteLine("Server streaming from node-1:");
            await foreach (var line in channels[0].ServerStreaming(DemoContract.Countdown, 3, ct)) Console.WriteLine("  " + line);
            Console.WriteLine($"Client streaming 1..100 to node-{channels.Count}: sum = {await channels[^1].ClientStreamingAsync(DemoContract.Sum, Numbers(100), ct)}");

            if (servers.Count > 1)
            {
                Console.WriteLine();
                Console.WriteLine("Draining node-1 (go-away, in-flight calls finish) while the client keeps calling the others ...");
                var inFlight = channels[0].ServerStreaming(DemoContract.Countdown, 5, ct);
                var streamTask = Collect(inFlight);
                await Task.Delay(30, ct);
                var stop = servers[0].StopAsync(ct);
                int ok = 0, refused = 0;
                for (int i = 0; i < 200; i++)
                {
                    try
                    {
                        await channels[i % channels.Count].UnaryAsync(DemoContract.Greet, "during-drain", ct);
                        ok++;
                    }
                    catch (RpcException ex) when (ex.Status == StatusCode.Unavailable)
                    {
                        refused++;
                    }
                }
                Console.WriteLine($"  in-flight stream on node-1 finished with {(await streamTask).Count} items");
                await stop;
                Console.WriteLine($"  {ok} calls served by the remaining nodes, {refused} refused fast by the draining node (Unavailable, retry elsewhere)");
            }
            Console.WriteLine();
            Console.WriteLine("Demo complete.");
            return 0;
        }
        finally
        {
            foreach (var c in channels) await c.DisposeAsync();
            foreach (var s in servers) await s.DisposeAsync();
        }
    }

    private static async IAsyncEnumerable<int> Numbers(int n)
    {
        for (int i = 1; i <= n; i++)
        {
            yield return i;
        }
        await Task.CompletedTask;
    }

    private static async Task<List<string>> Collect(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (var i in items) list.Add(i);
        return list;
    }
}
