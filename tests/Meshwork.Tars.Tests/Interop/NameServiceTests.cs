using System.Net;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Gossip;
using Meshwork.Rpc.Server;
using Meshwork.Serf;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Interop;

/// <summary>
/// The TARS name service: a Meshwork TARS server registers EchoObj in gossip (Serf node A); a second Meshwork node (B)
/// answers tars.tarsregistry.QueryObj from its own gossip view; an unmodified Node TARS client given only that locator
/// finds and calls EchoObj by name. Meshwork's own clients (locator channel, TarsRegistry provider) resolve it too.
/// </summary>
[Trait("Category", "Interop")]
public sealed class NameServiceTests : IAsyncLifetime
{
    private SerfNode _nodeA = null!, _nodeB = null!;
    private GossipServiceRegistry _registryA = null!, _registryB = null!;
    private TarsServer _echoServer = null!, _nameServer = null!;
    private RpcServer _directory = null!;
    private string _locator = "";

    private static SerfNode StartNode(string name)
    {
        var node = new SerfNode(new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = name, BindAddress = IPAddress.Loopback, BindPort = 0 },
        });
        node.Start();
        return node;
    }

    public async ValueTask InitializeAsync()
    {
        _nodeA = StartNode("tars-a");
        _nodeB = StartNode("tars-b");
        await _nodeB.JoinAsync([_nodeA.LocalEndPoint]);
        // Gossip carries a compact tag per node; the instance records are fetched from the node's Meshwork directory
        // endpoint, so the node hosting TARS objects also runs a (native) Meshwork RPC server for its directory.
        var gossipA = new GossipDiscoveryOptions();
        _registryA = new GossipServiceRegistry(_nodeA, gossipA);
        _registryB = new GossipServiceRegistry(_nodeB);
        _directory = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        _directory.AddService(DirectoryService.Create(_registryA));
        await _directory.StartAsync();
        gossipA.DirectoryAddress = _directory.BoundEndpoints[0].ToString();

        _echoServer = new TarsServer().AddService(new EchoService().Definition());
        var echoEndpoint = await _echoServer.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        await _registryA.RegisterAsync(TarsInstances.Create(EchoService.ObjectName, echoEndpoint));

        _nameServer = new TarsServer().AddService(TarsNameService.Create(_registryB));
        var nameEndpoint = await _nameServer.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        _locator = $"tars.tarsregistry.QueryObj@{nameEndpoint}";
        await Eventually.TrueAsync(async () => (await _registryB.ResolveAsync(EchoService.ObjectName)).Count == 1,
            "node B's gossip view has the EchoObj instance registered on node A");
    }

    public async ValueTask DisposeAsync()
    {
        await _nameServer.DisposeAsync();
        await _echoServer.DisposeAsync();
        await _directory.DisposeAsync();
        await _registryA.DisposeAsync();
        await _registryB.DisposeAsync();
        await _nodeB.DisposeAsync();
        await _nodeA.DisposeAsync();
    }

    [Fact]
    public async Task An_unmodified_node_client_given_only_the_locator_calls_a_meshwork_service_by_name()
    {
        var r = await NodeTarsPeer.CallAsync(EchoService.ObjectName, "add", "[2,40]", "--locator", _locator);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(42, r.GetProperty("out").GetProperty("sum").GetInt32());
        Assert.True(_nameServer.CallsServed > 0, "the Node client resolved EchoObj through the Meshwork name service");
    }

    [Fact]
    public async Task A_meshwork_locator_channel_resolves_through_the_name_service()
    {
        await using var channel = TarsChannel.ForProxy(EchoService.ObjectName, new TarsClientOptions { Locator = _locator });
        Assert.Equal((0, 42), await new EchoClient(channel).AddAsync(2, 40));
    }

    [Fact]
    public async Task The_tars_registry_provider_reads_active_endpoints_and_refuses_writes()
    {
        await using var registry = new TarsRegistry(new TarsRegistryOptions { Locator = _locator });
        var instances = await registry.ResolveAsync(EchoService.ObjectName);
        var instance = Assert.Single(instances);
        Assert.Equal(InstanceHealth.Healthy, instance.Health);
        Assert.Equal(_echoServer.Endpoint!.Port, TarsInstances.ToEndpoint(instance)!.Port);
        Assert.Empty(await registry.ResolveAsync("No.Such.Obj"));
        await Assert.ThrowsAsync<NotSupportedException>(() => registry.RegisterAsync(instance).AsTask());
    }

    [Fact]
    public async Task A_deregistered_instance_disappears_from_the_name_service()
    {
        await _registryA.DeregisterAsync(TarsInstances.Create(EchoService.ObjectName, _echoServer.Endpoint!));
        await using var registry = new TarsRegistry(new TarsRegistryOptions { Locator = _locator });
        await Eventually.TrueAsync(async () => (await registry.ResolveAsync(EchoService.ObjectName)).All(i => i.Health != InstanceHealth.Healthy),
            "the name service no longer reports the instance as active");
    }
}
