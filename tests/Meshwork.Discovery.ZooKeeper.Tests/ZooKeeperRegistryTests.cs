using Meshwork.Discovery.ZooKeeper.Client;
using Meshwork.Discovery.ZooKeeper.Protocol;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>The registry against a real ZooKeeper 3.8 started for this class.</summary>
[Trait("Category", "Interop")]
public sealed class ZooKeeperRegistryTests(ZooKeeperFixture fixture) : IClassFixture<ZooKeeperFixture>
{
    private readonly ZooKeeperServer _zk = fixture.Server;

    private ZooKeeperServiceRegistry Registry(TimeSpan? session = null) => new(Zk.Options(_zk.ConnectString, session));

    private static ServiceInstance Instance(string service, string address) => new(service, address)
    {
        Version = new SemanticVersion(1, 2, 3),
        Weight = 40,
        Zone = "z1",
        Tags = new Dictionary<string, string> { ["idc"] = "lf" },
        Metadata = new Dictionary<string, string> { ["shard"] = "7" },
    };

    [Fact]
    public async Task Register_and_resolve_round_trip_the_record_in_an_ephemeral_node_under_the_root()
    {
        await using var owner = Registry();
        await using var reader = Registry();
        // The default id, "svc@tcp://host:port", contains slashes: it must still be one node.
        var a = Instance("zk-roundtrip", "tcp://127.0.0.1:5001");
        var b = Instance("zk-roundtrip", "127.0.0.1:5002");
        await owner.RegisterAsync(a);
        await owner.RegisterAsync(b);

        var resolved = await reader.ResolveAsync("zk-roundtrip");
        Assert.True(InstanceSets.Same([a, b], resolved), string.Join(", ", resolved));

        await using var raw = Zk.RawClient(_zk.ConnectString);
        var (node, _) = await raw.ExistsAsync(Zk.NodePath("zk-roundtrip", a.Id), watch: false, Eventually.Token());
        Assert.NotNull(node);
        Assert.Equal(owner.Client.SessionId, node.Value.EphemeralOwner);
        var (parent, _) = await raw.ExistsAsync("/meshwork/services/zk-roundtrip", watch: false, Eventually.Token());
        Assert.Equal(0, parent!.Value.EphemeralOwner);
        Assert.Equal(2, parent.Value.NumChildren);

        // Registering the same id again replaces the record (same node, new data).
        await owner.RegisterAsync(a with { Weight = 90 });
        Assert.Equal(90, (await reader.ResolveAsync("zk-roundtrip")).Single(i => i.Id == a.Id).Weight);
    }

    [Fact]
    public async Task A_service_never_registered_resolves_to_an_empty_set()
    {
        await using var reader = Registry();
        Assert.Empty(await reader.ResolveAsync("zk-nobody"));
    }

    [Fact]
    public async Task A_watch_sees_a_register_and_a_deregister()
    {
        await using var owner = Registry();
        await using var watcher = Registry();
        using var cts = new CancellationTokenSource(Eventually.Timeout);
        await using var watch = watcher.WatchAsync("zk-watched", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Empty(watch.Current); // the service node does not exist yet: the watch waits for it to appear

        var x = Instance("zk-watched", "127.0.0.1:6001");
        var y = Instance("zk-watched", "127.0.0.1:6002");
        await owner.RegisterAsync(x);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal([x.Address], watch.Current.Select(i => i.Address));

        await owner.RegisterAsync(y);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal([x.Address, y.Address], watch.Current.Select(i => i.Address).Order());

        await owner.DeregisterAsync(x);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal([y.Address], watch.Current.Select(i => i.Address));

        // A data change of an existing instance is a change too (data watch).
        await owner.RegisterAsync(y with { Weight = 7 });
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(7, watch.Current.Single().Weight);
    }

    [Fact]
    public async Task Disposing_the_owner_closes_its_session_and_its_instances_vanish_at_once()
    {
        // The owner's session would outlive the wait below by far: only closing it removes the node in time.
        var owner = Registry(session: ZooKeeperServer.MaxSessionTimeout);
        await using var reader = Registry();
        await owner.RegisterAsync(Instance("zk-disposed", "127.0.0.1:6101"));
        Assert.Single(await reader.ResolveAsync("zk-disposed"));

        await owner.DisposeAsync();
        await Eventually.TrueAsync(async () => (await reader.ResolveAsync("zk-disposed")).Count == 0, "the disposed owner's instance is gone",
            seconds: ZooKeeperServer.MaxSessionTimeout.TotalSeconds / 3);
    }

    [Fact]
    public async Task A_crashed_owners_instances_vanish_when_its_session_times_out()
    {
        var owner = Registry(session: TimeSpan.FromSeconds(2));
        await using var reader = Registry();
        await owner.RegisterAsync(Instance("zk-crashed", "127.0.0.1:6201"));
        Assert.Single(await reader.ResolveAsync("zk-crashed"));

        await owner.AbandonAsync(); // no closeSession, no pings: as if the process died
        await Eventually.TrueAsync(async () => (await reader.ResolveAsync("zk-crashed")).Count == 0, "the crashed owner's instance is gone");
    }

    [Fact]
    public async Task After_its_session_expires_the_owner_opens_a_new_one_and_registers_again()
    {
        await using var owner = Registry();
        await using var watcher = Registry();
        var x = Instance("zk-expired", "127.0.0.1:6301");
        await owner.RegisterAsync(x);
        long firstSession = owner.Client.SessionId;

        IReadOnlyList<ServiceInstance> latest = [];
        using var cts = new CancellationTokenSource(Eventually.Timeout * 2);
        var watching = Task.Run(async () =>
        {
            await foreach (var set in watcher.WatchAsync("zk-expired", cts.Token))
            {
                Volatile.Write(ref latest, set);
            }
        });
        await Eventually.TrueAsync(() => Volatile.Read(ref latest).Count == 1, "the watcher sees the instance");

        // Kill the session from outside: take it over with its id and password, then close it. The server deletes
        // its ephemeral nodes; the owner learns of the expiry when it reconnects. Repeated because the owner may
        // win the session back before the close arrives.
        await Eventually.TrueAsync(async () =>
        {
            if (owner.Client.Expirations == 0)
            {
                await using var killer = Zk.RawClient(_zk.ConnectString, firstSession, owner.Client.SessionPassword);
                await killer.ExistsAsync("/", watch: false, Eventually.Token());
            }
            return owner.Client.Expirations > 0;
        }, "the owner's session expired");

        await using var raw = Zk.RawClient(_zk.ConnectString);
        await Eventually.TrueAsync(async () =>
        {
            var (stat, _) = await raw.ExistsAsync(Zk.NodePath("zk-expired", x.Id), watch: false, Eventually.Token());
            return stat is { } s && s.EphemeralOwner == owner.Client.SessionId && s.EphemeralOwner != firstSession;
        }, "the instance is registered again in the owner's new session");
        Assert.Equal(2, owner.SessionsOpened);

        // The watcher may or may not have seen the short gap; either way its watch goes on, and its next set holds the
        // re-registered instance next to a new one.
        var y = Instance("zk-expired", "127.0.0.1:6302");
        await owner.RegisterAsync(y);
        await Eventually.TrueAsync(() => Volatile.Read(ref latest).Select(i => i.Address).Order().SequenceEqual([x.Address, y.Address]),
            "the watcher sees the re-registered instance and the new one");
        await cts.CancelAsync();
        await watching;
    }

    [Fact]
    public async Task Pings_keep_an_idle_session_alive()
    {
        await using var owner = Registry(session: TimeSpan.FromSeconds(2));
        await owner.RegisterAsync(Instance("zk-idle", "127.0.0.1:6401"));
        // Several session timeouts without any request: only the pings keep the session (and the node) alive.
        await Eventually.TrueAsync(() => owner.Client.PingReplies >= 8, "eight ping replies");
        Assert.Equal(1, owner.Connections);
        Assert.Equal(1, owner.SessionsOpened);
        await using var reader = Registry();
        Assert.Single(await reader.ResolveAsync("zk-idle"));
    }

    [Fact]
    public async Task A_node_with_an_invalid_record_is_skipped_and_counted()
    {
        await using var owner = Registry();
        await owner.RegisterAsync(Instance("zk-bad", "127.0.0.1:6501"));
        await using var raw = Zk.RawClient(_zk.ConnectString);
        await raw.CreateAsync("/meshwork/services/zk-bad/garbage", "{not json"u8.ToArray(), CreateMode.Ephemeral, Eventually.Token());

        await using var reader = Registry();
        var set = await reader.ResolveAsync("zk-bad");
        Assert.Equal("127.0.0.1:6501", set.Single().Address);
        Assert.Equal(1, reader.InvalidRecords);
    }

    [Fact]
    public async Task A_dead_server_in_the_connect_string_is_skipped()
    {
        int dead = FreePort.TcpAndUdp();
        var options = Zk.Options($"127.0.0.1:{dead},{_zk.ConnectString}");
        options.FirstHost = 0; // start at the dead one
        await using var registry = new ZooKeeperServiceRegistry(options);
        await registry.RegisterAsync(Instance("zk-multi", "127.0.0.1:6600"));
        Assert.Single(await registry.ResolveAsync("zk-multi"));
        Assert.Equal(1, registry.Connections);
    }

    [Fact]
    public async Task The_provider_builds_a_working_registry_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Type"] = "zookeeper",
            ["Registry:ConnectString"] = _zk.ConnectString,
            ["Registry:Root"] = "/custom/root",
            ["Registry:SessionTimeout"] = "5s",
            ["Registry:RequestTimeout"] = "3000ms",
        }).Build();
        await using var registry = new ServiceRegistryProviders(new ZooKeeperRegistryProvider()).Create(config.GetSection("Registry"));
        Assert.IsType<ZooKeeperServiceRegistry>(registry);
        await registry.RegisterAsync(Instance("zk-configured", "127.0.0.1:6701"));
        Assert.Single(await registry.ResolveAsync("zk-configured"));

        await using var raw = Zk.RawClient(_zk.ConnectString);
        var (children, _, _) = await raw.GetChildrenAsync("/custom/root/zk-configured", watch: false, Eventually.Token());
        Assert.Single(children);
    }
}
