using System.Net;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Gossip;
using Meshwork.Governance.Server;
using Meshwork.Serf;

namespace Meshwork.Governance.Tests;

/// <summary>One cluster member that serves <see cref="Echo"/>: a Serf node, gossip discovery and a real RPC server, all on loopback.</summary>
internal sealed class GossipMember : IAsyncDisposable
{
    private GossipMember(SerfNode node, GossipServiceRegistry registry, TestServer server, DiscoverableServer discoverable)
    {
        Node = node;
        Registry = registry;
        Server = server;
        Discoverable = discoverable;
    }

    public SerfNode Node { get; }
    public GossipServiceRegistry Registry { get; }
    public TestServer Server { get; }
    public DiscoverableServer Discoverable { get; }

    public static SerfNode StartNode(string name)
    {
        var node = new SerfNode(new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = name, BindAddress = IPAddress.Loopback, BindPort = 0 },
            LeavePropagateDelay = TimeSpan.FromMilliseconds(200),
        });
        node.Start();
        return node;
    }

    public static async Task<GossipMember> StartAsync(string name, SemanticVersion version, IPEndPoint? seed, TimeSpan? propagation = null,
        params Meshwork.Rpc.Server.ServiceDefinition[] extra)
    {
        var node = StartNode(name);
        if (seed is not null) await node.JoinAsync([seed]);
        var registry = new GossipServiceRegistry(node);
        var server = new TestServer(name, [DirectoryService.Create(registry), .. extra]);
        var discoverable = new DiscoverableServer(server.Server, registry, new ServiceAnnouncement
        {
            Version = version,
            PropagationDelay = propagation ?? TimeSpan.FromMilliseconds(1500),
        });
        await discoverable.StartAsync();
        return new GossipMember(node, registry, server, discoverable);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.Server.StopAsync(new CancellationToken(true));
        await Server.DisposeAsync();
        await Registry.DisposeAsync();
        await Node.DisposeAsync();
    }
}
