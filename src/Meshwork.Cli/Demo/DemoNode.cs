using System.Net;
using Meshwork.Gossip;
using Meshwork.Rpc.Server;
using Meshwork.Serf;

namespace Meshwork.Cli.Demo;

/// <summary>One demo node: an RPC server with <see cref="DemoContract"/> and a gossip member that announces its address.</summary>
internal sealed class DemoNode : IAsyncDisposable
{
    /// <summary>How long a drained node may take to finish in-flight calls.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a leaving member keeps gossiping its leave before going quiet: short, so the demo stays quick; long
    /// enough for the leave to reach every member of a small loopback cluster.
    /// </summary>
    private static readonly TimeSpan LeavePropagateDelay = TimeSpan.FromMilliseconds(300);

    private DemoNode(string name, RpcServer server, SerfNode gossip)
    {
        Name = name;
        Server = server;
        Gossip = gossip;
    }

    public string Name { get; }

    public RpcServer Server { get; }

    public SerfNode Gossip { get; }

    public static async Task<DemoNode> StartAsync(string name, IPEndPoint? seed, CancellationToken ct)
    {
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = DrainTimeout }, name: name);
        server.AddService(DemoContract.Bind(name));
        await server.StartAsync(ct);
        var gossip = StartGossip(name, new Dictionary<string, string> { [GossipEndpoints.RpcTag] = server.BoundEndpoints[0].Display });
        var node = new DemoNode(name, server, gossip);
        try
        {
            if (seed is not null && await gossip.JoinAsync([seed], cancellationToken: ct) == 0)
            {
                throw new InvalidOperationException($"{name} could not join the demo cluster at {seed}");
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>A gossip member on a free loopback port with the local timing profile (fast probes, quick failure detection).</summary>
    public static SerfNode StartGossip(string name, IReadOnlyDictionary<string, string> tags)
    {
        var memberlist = MemberlistOptions.Local(name);
        memberlist.BindAddress = IPAddress.Loopback;
        memberlist.BindPort = 0;
        var node = new SerfNode(new SerfOptions { Memberlist = memberlist, Tags = new Dictionary<string, string>(tags), LeavePropagateDelay = LeavePropagateDelay });
        node.Start();
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Gossip.DisposeAsync();
    }
}
