using Meshwork.Discovery;
using Meshwork.Discovery.Etcd;
using Meshwork.Governance.Server;

namespace Meshwork.Governance.Tests;

/// <summary>Discovery against a real etcd started by the test.</summary>
public sealed class EtcdDiscoveryTests : IAsyncLifetime
{
    private EtcdServer _etcd = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-etcd-cache-").FullName;

    public async ValueTask InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _etcd.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private EtcdServiceRegistry Registry(int ttlSeconds = 10) => new(new EtcdDiscoveryOptions
    {
        Endpoint = _etcd.Endpoint,
        LeaseTtl = TimeSpan.FromSeconds(ttlSeconds),
        RequestTimeout = TimeSpan.FromSeconds(2),
    });

    [Fact]
    public async Task Instances_register_resolve_drain_and_a_crashed_servers_lease_expires()
    {
        await using var a = await TestServer.StartAsync("etcd-a");
        await using var b = await TestServer.StartAsync("etcd-b");
        var registryA = Registry();
        var registryB = Registry(ttlSeconds: 2);
        await registryA.RegisterAsync(a.Instance(new SemanticVersion(1, 0, 0)));
        await registryB.RegisterAsync(b.Instance(new SemanticVersion(1, 0, 0)));

        await using var clientRegistry = Registry();
        await using var invoker = new GovernedCallInvoker(clientRegistry);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 2, Eventually.Token());
        var answers = new HashSet<string>();
        for (int i = 0; i < 40; i++) answers.Add(await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(["etcd-a", "etcd-b"], answers.Order());

        // b "crashes": no deregistration, no revoke; its keep-alive stops and the 2 s lease expires.
        await registryB.AbandonAsync();
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1 && e[0].Instance.Address == a.Address, Eventually.Token());

        // a deregisters (the first step of its drain): the watch removes it.
        await registryA.DeregisterAsync(a.Instance(new SemanticVersion(1, 0, 0)));
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 0, Eventually.Token());
        await registryA.DisposeAsync();
    }

    [Fact]
    public async Task Discoverable_server_registers_on_start_and_drain_removes_it()
    {
        var server = new TestServer("etcd-drain");
        var registry = Registry();
        await using var discoverable = new DiscoverableServer(server.Server, registry, new ServiceAnnouncement { PropagationDelay = TimeSpan.FromMilliseconds(300) });
        await discoverable.StartAsync();
        await using var client = Registry();
        Assert.Equal(server.Address, (await client.ResolveAsync(Echo.Service)).Single().Address);
        await discoverable.DrainAsync();
        Assert.Empty(await client.ResolveAsync(Echo.Service));
        await registry.DisposeAsync();
    }

    [Fact]
    public async Task A_changed_announcement_is_published_to_etcd_in_place_and_a_new_address_withdraws_the_old_one()
    {
        var server = new TestServer("etcd-update");
        var registry = Registry();
        await using var discoverable = new DiscoverableServer(server.Server, registry, new ServiceAnnouncement { PropagationDelay = TimeSpan.FromMilliseconds(10) });
        await discoverable.StartAsync();
        await using var client = Registry();
        var before = Assert.Single(await client.ResolveAsync(Echo.Service));
        Assert.Equal(100, before.Weight);

        // New weight and tags: the same instance (same id), updated in place.
        Assert.True(await discoverable.UpdateAnnouncementAsync(new ServiceAnnouncement { Weight = 7, Tags = { ["lane"] = "blue" } }));
        var updated = Assert.Single(await client.ResolveAsync(Echo.Service));
        Assert.Equal(before.Id, updated.Id);
        Assert.Equal(7, updated.Weight);
        Assert.Equal("blue", updated.Tags["lane"]);

        // Another advertised address is another instance: the new one is registered, the old one withdrawn.
        string moved = server.Address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        Assert.True(await discoverable.UpdateAnnouncementAsync(new ServiceAnnouncement { AdvertiseAddress = moved, Weight = 7 }));
        Assert.Equal(moved, Assert.Single(await client.ResolveAsync(Echo.Service)).Address);

        // A service the server does not host is refused, and nothing changes.
        await Assert.ThrowsAsync<InvalidOperationException>(() => discoverable.UpdateAnnouncementAsync(new ServiceAnnouncement { Services = new(StringComparer.Ordinal) { "nope" } }));
        Assert.Equal(moved, Assert.Single(await client.ResolveAsync(Echo.Service)).Address);

        // The drain withdraws what the last update registered; later updates publish nothing.
        await discoverable.DrainAsync();
        Assert.Empty(await client.ResolveAsync(Echo.Service));
        Assert.False(await discoverable.UpdateAnnouncementAsync(new ServiceAnnouncement()));
        Assert.Empty(await client.ResolveAsync(Echo.Service));
        await registry.DisposeAsync();
    }

    [Fact]
    public async Task With_etcd_down_calls_continue_from_the_cache_and_a_restarted_client_loads_it()
    {
        await using var server = await TestServer.StartAsync("etcd-cached");
        var serverRegistry = Registry();
        await serverRegistry.RegisterAsync(server.Instance());
        var path = Path.Combine(_dir, "services.json");

        var cache = new CachedServiceRegistry(Registry(), new ServiceCacheOptions { Path = path, ReconnectInitial = TimeSpan.FromMilliseconds(50) });
        await using (var invoker = new GovernedCallInvoker(cache))
        {
            Assert.Equal("etcd-cached", await invoker.UnaryAsync(Echo.Who, "x"));
            await _etcd.StopAsync();
            await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await Registry().ResolveAsync(Echo.Service));
            for (int i = 0; i < 10; i++) Assert.Equal("etcd-cached", await invoker.UnaryAsync(Echo.Who, "x"));
            Assert.Single(await cache.ResolveAsync(Echo.Service));
        }
        await cache.DisposeAsync();

        var restarted = new CachedServiceRegistry(Registry(), new ServiceCacheOptions { Path = path });
        await using (var again = new GovernedCallInvoker(restarted))
        {
            Assert.Equal("etcd-cached", await again.UnaryAsync(Echo.Who, "x"));
        }
        await restarted.DisposeAsync();
        await serverRegistry.AbandonAsync();
    }

    [Fact]
    public async Task A_watch_behind_a_compaction_resyncs_and_misses_nothing()
    {
        await using var registry = Registry();
        await registry.RegisterAsync(new ServiceInstance(Echo.Service, "127.0.0.1:1"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = registry.WatchAsync(Echo.Service, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Single(watch.Current);

        // Changes land, then etcd compacts past them before the watch (opened from the read revision) starts.
        for (int i = 2; i <= 5; i++) await registry.RegisterAsync(new ServiceInstance(Echo.Service, $"127.0.0.1:{i}"));
        await registry.DeregisterAsync(new ServiceInstance(Echo.Service, "127.0.0.1:1"));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_etcd.Endpoint);
        var kv = new Etcdserverpb.KV.KVClient(channel);
        var head = await kv.RangeAsync(new Etcdserverpb.RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("/") });
        await kv.CompactAsync(new Etcdserverpb.CompactionRequest { Revision = head.Header.Revision, Physical = true });

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4", "127.0.0.1:5"], watch.Current.Select(i => i.Address).Order());
    }

    [Fact]
    public void Bad_options_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new EtcdServiceRegistry(new EtcdDiscoveryOptions { Endpoint = "127.0.0.1:2379" }));
        Assert.Contains("EtcdDiscoveryOptions.Endpoint", e.Message, StringComparison.Ordinal);
    }
}
