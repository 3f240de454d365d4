using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>ZooKeeper going down and coming back; each test has its own server, since each stops it.</summary>
[Trait("Category", "Interop")]
public sealed class ZooKeeperOutageTests : IAsyncLifetime
{
    private ZooKeeperServer _zk = null!;

    public async ValueTask InitializeAsync() => _zk = await ZooKeeperServer.StartAsync();

    public async ValueTask DisposeAsync() => await _zk.DisposeAsync();

    [Fact]
    public async Task After_a_server_restart_the_registry_reconnects_and_a_watch_continues()
    {
        // A request (and so a watch turn) waits this long for a connection: longer than a restart takes.
        await using var owner = new ZooKeeperServiceRegistry(Zk.Options(_zk.ConnectString, request: TimeSpan.FromSeconds(25)));
        await using var watcher = new ZooKeeperServiceRegistry(Zk.Options(_zk.ConnectString, request: TimeSpan.FromSeconds(25)));
        var x = new ServiceInstance("zk-restart", "127.0.0.1:7001");
        await owner.RegisterAsync(x);
        using var cts = new CancellationTokenSource(Eventually.Timeout * 2);
        await using var watch = watcher.WatchAsync("zk-restart", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal([x.Address], watch.Current.Select(i => i.Address));
        var next = watch.MoveNextAsync().AsTask();

        // A registry with a short budget, connected before the outage: its registration during the outage fails
        // with a clear error, but the instance is remembered and created once ZooKeeper is back.
        await using var late = new ZooKeeperServiceRegistry(Zk.Options(_zk.ConnectString, request: TimeSpan.FromSeconds(1)));
        Assert.Single(await late.ResolveAsync("zk-restart"));

        await _zk.StopAsync();
        var z = new ServiceInstance("zk-restart", "127.0.0.1:7003");
        var refused = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await late.RegisterAsync(z));
        Assert.Contains("registering " + z.Id, refused.Message);
        await _zk.StartAgainAsync();
        await Eventually.TrueAsync(() => owner.Connections >= 2 && owner.Client.IsConnected, "the owner reconnected");

        // The owner's instance is there (kept by the resumed session, or registered again if it expired), and the
        // watcher's re-armed watch reports the next change.
        var y = new ServiceInstance("zk-restart", "127.0.0.1:7002");
        await owner.RegisterAsync(y);
        Assert.True(await next.WaitAsync(Eventually.Timeout));
        string[] all = [x.Address, y.Address, z.Address];
        while (!watch.Current.Select(i => i.Address).Order().SequenceEqual(all))
        {
            // y and z land in either order; each change is one more set.
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Eventually.Timeout), "the watch ended");
        }
        Assert.True(watcher.Connections >= 2);
        // The server restored its sessions from the data directory and the owner resumed its own (same id and
        // password) instead of opening a new one: its instance never vanished.
        Assert.Equal(1, owner.SessionsOpened);
        Assert.Equal(0, owner.Client.Expirations);
    }

    [Fact]
    public async Task With_ZooKeeper_down_the_cached_registry_still_resolves()
    {
        await using var owner = new ZooKeeperServiceRegistry(Zk.Options(_zk.ConnectString));
        var x = new ServiceInstance("zk-cached", "127.0.0.1:7101");
        await owner.RegisterAsync(x);

        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Type"] = "zookeeper",
            ["Registry:ConnectString"] = _zk.ConnectString,
            ["Registry:RequestTimeout"] = "1s",
        }).Build();
        var providers = new ServiceRegistryProviders(new ZooKeeperRegistryProvider());
        await using var cache = new CachedServiceRegistry(providers.Create(config.GetSection("Registry")),
            new ServiceCacheOptions { PullInterval = TimeSpan.FromMinutes(10) });
        Assert.Equal([x.Address], (await cache.ResolveAsync("zk-cached")).Select(i => i.Address));

        await _zk.StopAsync();
        await using var direct = providers.Create(config.GetSection("Registry"));
        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await direct.ResolveAsync("zk-cached"));
        Assert.Contains(_zk.ConnectString, error.Message);
        Assert.Equal("zookeeper", error.Registry);

        // Callers keep resolving (and watching) from the cache while ZooKeeper is down.
        Assert.Equal([x.Address], (await cache.ResolveAsync("zk-cached")).Select(i => i.Address));
        using var cts = new CancellationTokenSource(Eventually.Timeout);
        await using var watch = cache.WatchAsync("zk-cached", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal([x.Address], watch.Current.Select(i => i.Address));
    }
}
