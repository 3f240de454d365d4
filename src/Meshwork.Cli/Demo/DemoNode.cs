using System.Net;
using Meshwork.Discovery.Gossip;
using Meshwork.Gossip;
using Meshwork.Governance.Server;
using Meshwork.Rpc.Server;
using Meshwork.Serf;

namespace Meshwork.Cli.Demo;

/// <summary>
/// One demo node: a gossip member, the library's gossip service registry on it, and an RPC server serving
/// <see cref="DemoContract"/> (plus the registry's directory endpoint), registered and drained by
/// <see cref="DiscoverableServer"/>.
/// </summary>
internal sealed class DemoNode : IAsyncDisposable
{
    /// <summary>How long a drained node may take to finish in-flight calls.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a leaving member keeps gossiping its leave before going quiet: short, so the demo stays quick; long
    /// enough for the leave to reach every member of a small loopback cluster.
    /// </summary>
    private static readonly TimeSpan LeavePropagateDelay = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// How long a tag update or leave waits to be gossiped. On loopback one gossip interval suffices, so 1 s instead of
    /// Serf's 5 s default keeps the demo quick when a broadcast is slow to go out.
    /// </summary>
    private static readonly TimeSpan BroadcastTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a draining node keeps serving after deregistering and leaving, before go-away: a few gossip rounds and
    /// watch notifications on loopback. Shorter than the library's 2 s default, which is sized for real LANs, so
    /// the demo stays quick.
    /// </summary>
    private static readonly TimeSpan PropagationDelay = TimeSpan.FromSeconds(1);

    private DemoNode(string name, SerfNode gossip, GossipServiceRegistry registry, DiscoverableServer discoverable)
    {
        Name = name;
        Gossip = gossip;
        Registry = registry;
        Discoverable = discoverable;
    }

    public string Name { get; }

    public RpcServer Server => Discoverable.Server;

    public SerfNode Gossip { get; }

    public GossipServiceRegistry Registry { get; }

    /// <summary>Registers the node's services on start; its <see cref="DiscoverableServer.DrainAsync"/> is the graceful drain.</summary>
    public DiscoverableServer Discoverable { get; }

    public static async Task<DemoNode> StartAsync(string name, IPEndPoint? seed, CancellationToken ct)
    {
        var gossip = StartGossip(name);
        var registry = new GossipServiceRegistry(gossip);
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = DrainTimeout }, name: name);
        server.Use(new Diagnostics.ServerTelemetryMiddleware()); // the dashboard's per-method charts read the server-side call metrics
        server.AddService(DemoContract.Bind(name));
        server.AddService(DirectoryService.Create(registry)); // gossip clients fetch this node's records from here
        // The drain leaves gossip right after deregistering, so every member sees this node go as "left", not "failed".
        var discoverable = new DiscoverableServer(server, registry, new ServiceAnnouncement { Version = DemoContract.Version, PropagationDelay = PropagationDelay },
            afterDeregister: _ => gossip.LeaveAsync());
        var node = new DemoNode(name, gossip, registry, discoverable);
        try
        {
            // Join first: registering announces a tag, and the announcement completes once it is gossiped to a peer.
            if (seed is not null && await gossip.JoinAsync([seed], cancellationToken: ct) == 0)
            {
                throw new InvalidOperationException($"{name} could not join the demo cluster at {seed}");
            }
            await discoverable.StartAsync(ct);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>A gossip member on a free loopback port with the local timing profile (fast probes, quick failure detection).</summary>
    public static SerfNode StartGossip(string name)
    {
        var memberlist = MemberlistOptions.Local(name);
        memberlist.BindAddress = IPAddress.Loopback;
        memberlist.BindPort = 0;
        var node = new SerfNode(new SerfOptions { Memberlist = memberlist, LeavePropagateDelay = LeavePropagateDelay, BroadcastTimeout = BroadcastTimeout });
        node.Start();
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Discoverable.DisposeAsync();
        await Registry.DisposeAsync();
        await Gossip.DisposeAsync();
    }
}
