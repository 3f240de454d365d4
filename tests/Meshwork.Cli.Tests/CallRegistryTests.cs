using System.Text.Json;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Gossip;
using Meshwork.Rpc.Server;
using Meshwork.Serf;

namespace Meshwork.Cli.Tests;

/// <summary>
/// <c>meshwork call Service/Method '{json}'</c> through a registry, with the governed client: the instance to call
/// comes from the registry, and a dead instance is failed over. Smooth weighted round robin from a fresh client always
/// picks the heaviest instance first, so giving the dead instance the big weight makes every run try it first.
/// </summary>
public sealed class CallRegistryTests
{
    private static readonly string[] DeadFirst = ["--client-key", "Defaults:Balancer=weighted-round-robin"];

    [Fact]
    public async Task Call_through_a_static_registry_fails_over_from_a_dead_instance()
    {
        await using var alive = await ShopContract.StartAsync("alive");
        string dead = $"127.0.0.1:{FreePort.TcpAndUdp()}";
        string[] registry = ["--instance", $"Shop={dead}", "--instance", $"Shop={alive.BoundEndpoints[0].Display}", "--registry-key", "Services:Shop:0:Weight=1000", .. DeadFirst];

        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"tea","Quantity":3}""", "--idempotent", "--json", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        using (var reply = JsonDocument.Parse(stdout))
        {
            Assert.Equal("tea", reply.RootElement.GetProperty("Item").GetString());
            Assert.Equal(6, reply.RootElement.GetProperty("Total").GetInt64());
            Assert.Equal("alive", reply.RootElement.GetProperty("Node").GetString());
        }

        // Not marked idempotent, the call still fails over: the dead instance refused the connection, so nothing of the
        // call ran there and sending it again cannot run it twice.
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"tea","Quantity":3}""", "--json", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        using (var reply = JsonDocument.Parse(stdout)) Assert.Equal("alive", reply.RootElement.GetProperty("Node").GetString());

        // With fail-fast nothing is sent again: the call fails on the dead instance, which shows that the dead instance
        // was indeed the first pick above and fail-over is what saved those calls.
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"tea","Quantity":3}""", .. registry, "--client-key", "Defaults:FailMode=FailFast"]);
        Assert.Equal(1, code);
        Assert.Contains("Unavailable", stderr);
        Assert.Contains(dead, stderr);
    }

    [Fact]
    public async Task Call_prints_readable_replies_streams_ndjson_and_follows_the_method_kind_through_a_registry()
    {
        await using var server = await ShopContract.StartAsync("solo");
        string[] registry = ["--instance", $"Shop={server.BoundEndpoints[0].Display}"];

        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"tea","Quantity":2}""", .. registry]);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"Total\": 4", stdout); // indented JSON for people
        Assert.Contains('\n', stdout.Trim());

        // A server-streaming method, found out from the server (no --kind): one JSON value per line, as they arrive.
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Count", "3", .. registry]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["\"1 from solo\"", "\"2 from solo\"", "\"3 from solo\""], stdout.Trim().Split('\n').Select(l => l.Trim()));

        // Client streaming and duplex, also found out from the server: several JSON values are the request stream.
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Sum", "1 2 3\n4", .. registry]);
        Assert.True(code == 0, stderr);
        Assert.Equal("10", stdout.Trim());
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Shout", "\"a\" \"b\"", "--kind", "duplex", .. registry]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["\"A\"", "\"B\""], stdout.Trim().Split('\n').Select(l => l.Trim()));

        (code, stdout, _) = await MeshworkCli.RunAsync(["call", "Shop/Missing", "{}", "--json", .. registry]);
        Assert.Equal(1, code);
        Assert.Equal("NotFound", JsonDocument.Parse(stdout).RootElement.GetProperty("error").GetProperty("status").GetString());

        (code, _, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", "{not json", .. registry]);
        Assert.Equal(2, code);
        Assert.Contains("not valid JSON", stderr);

        (code, _, stderr) = await MeshworkCli.RunAsync("call", "Shop/Price", "{}");
        Assert.Equal(2, code);
        Assert.Contains("no registry", stderr);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Call_through_gossip_discovery_fails_over_when_an_instance_dies()
    {
        await using var cluster = await GossipCluster.StartAsync();
        await using var doomed = await ShopContract.StartAsync("doomed");
        await using var survivor = await ShopContract.StartAsync("survivor");
        await cluster.RegisterAsync(doomed, weight: 1000);
        await cluster.RegisterAsync(survivor, weight: 1);
        string[] registry = ["--join", cluster.Seed, "--idempotent", "--json", .. DeadFirst];

        var (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"pen","Quantity":1}""", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal("doomed", JsonDocument.Parse(stdout).RootElement.GetProperty("Node").GetString());

        // The instance dies; the registry still lists it (nobody deregistered it), so the CLI's first pick is the dead one.
        await doomed.DisposeAsync();
        (code, stdout, stderr) = await MeshworkCli.RunAsync(["call", "Shop/Price", """{"Item":"pen","Quantity":1}""", .. registry]);
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal("survivor", JsonDocument.Parse(stdout).RootElement.GetProperty("Node").GetString());
    }

    /// <summary>
    /// A seed member, and a member hosting the registry whose directory is served by its own RPC server, so that an
    /// instance's server can die while the node still announces it (a crashed service beside a live node).
    /// </summary>
    internal sealed class GossipCluster : IAsyncDisposable
    {
        private readonly SerfNode _seed;
        private readonly SerfNode _host;
        private readonly GossipServiceRegistry _registry;
        private readonly RpcServer _directory;

        private GossipCluster(SerfNode seed, SerfNode host, GossipServiceRegistry registry, RpcServer directory)
        {
            _seed = seed;
            _host = host;
            _registry = registry;
            _directory = directory;
        }

        /// <summary>The seed's gossip address, for <c>--join</c>.</summary>
        public string Seed => _seed.LocalEndPoint.ToString();

        public static async Task<GossipCluster> StartAsync()
        {
            var seed = Member("seed");
            var host = Member("host");
            string directoryAddress = $"127.0.0.1:{FreePort.TcpAndUdp()}";
            var directory = new RpcServer(new RpcServerOptions { Endpoints = { directoryAddress } }, name: "directory");
            var registry = new GossipServiceRegistry(host, new GossipDiscoveryOptions { DirectoryAddress = directoryAddress });
            try
            {
                directory.AddService(DirectoryService.Create(registry));
                await directory.StartAsync();
                Assert.Equal(1, await host.JoinAsync([seed.LocalEndPoint]));
            }
            catch
            {
                await registry.DisposeAsync();
                await directory.DisposeAsync();
                await host.DisposeAsync();
                await seed.DisposeAsync();
                throw;
            }
            return new GossipCluster(seed, host, registry, directory);
        }

        public async Task RegisterAsync(RpcServer server, int weight)
        {
            await _registry.RegisterAsync(new ServiceInstance(ShopContract.Service, server.BoundEndpoints[0].Display) { Weight = weight });
            // The seed learns the new announcement through gossip before a CLI joins it.
            await Eventually.TrueAsync(() => _seed.Members().FirstOrDefault(m => m.Name == "host")?.Tags.GetValueOrDefault("mw-svc")
                == _host.Members().First(m => m.Name == "host").Tags.GetValueOrDefault("mw-svc"), "the seed sees the host's current announcement");
        }

        private static SerfNode Member(string name)
        {
            var memberlist = MemberlistOptions.Local(name);
            memberlist.BindAddress = System.Net.IPAddress.Loopback;
            memberlist.BindPort = 0;
            var node = new SerfNode(new SerfOptions { Memberlist = memberlist });
            node.Start();
            return node;
        }

        public async ValueTask DisposeAsync()
        {
            await _registry.DisposeAsync();
            await _directory.DisposeAsync();
            await _host.DisposeAsync();
            await _seed.DisposeAsync();
        }
    }
}
