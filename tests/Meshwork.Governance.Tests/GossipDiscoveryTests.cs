using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance.Routing;
using Meshwork.Rpc;
using Meshwork.Serf;

namespace Meshwork.Governance.Tests;

/// <summary>Discovery over real Serf gossip (UDP/TCP on 127.0.0.1) with real RPC servers.</summary>
public sealed class GossipDiscoveryTests : GossipClientTestBase
{
    private async Task<GossipMember[]> StartMembersAsync(params string[] versions)
    {
        var members = new GossipMember[versions.Length];
        for (int i = 0; i < versions.Length; i++)
        {
            members[i] = await GossipMember.StartAsync($"m{i}-{Guid.NewGuid().ToString("n")[..4]}", SemanticVersion.Parse(versions[i]), _client.LocalEndPoint);
            _owned.Add(members[i]);
        }
        return members;
    }

    private GovernedCallInvoker Invoker(ServicePolicy? policy = null)
    {
        var options = new GovernanceOptions();
        if (policy is not null) options.Services[Echo.Service] = policy;
        var invoker = new GovernedCallInvoker(_registry, options);
        _owned.Add(invoker);
        return invoker;
    }

    [Fact]
    public async Task A_service_name_resolves_through_gossip_to_every_instance()
    {
        var members = await StartMembersAsync("1.0.0", "1.0.0", "1.0.0");
        var invoker = Invoker();
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 3, Eventually.Token());
        var resolved = await _registry.ResolveAsync(Echo.Service);
        Assert.Equal(members.Select(m => m.Server.Address).Order(), resolved.Select(i => i.Address).Order());
        Assert.All(resolved, i => Assert.Contains(members, m => m.Node.Name == i.Node));
        Assert.DoesNotContain(await _registry.ResolveAsync(DirectoryService.ServiceName), _ => true);

        var answers = new HashSet<string>();
        for (int i = 0; i < 200; i++) answers.Add(await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(members.Select(m => m.Server.Name).Order(), answers.Order());
    }

    [Fact]
    public async Task Semver_routing_picks_only_the_matching_version()
    {
        var members = await StartMembersAsync("1.0.0", "1.4.2", "2.1.0");
        await Eventually.TrueAsync(async () => (await _registry.ResolveAsync(Echo.Service)).Count == 3, "all three versions announced");
        var invoker = Invoker(new ServicePolicy { Route = new RouteOptions { Version = VersionRange.Parse(">=1.2 <2") } });
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        for (int i = 0; i < 50; i++) Assert.Equal(members[1].Server.Name, await invoker.UnaryAsync(Echo.Who, "x"));

        var none = Invoker(new ServicePolicy { Route = new RouteOptions { Version = VersionRange.Parse(">=3") } });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await none.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("version >=3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_deregisters_first_and_concurrent_callers_lose_nothing()
    {
        var members = await StartMembersAsync("1.0.0", "1.0.0");
        var invoker = Invoker();
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 2, Eventually.Token());
        // Not idempotent: drain alone, with no retry, must be enough to lose nothing.
        await using var load = new CallLoad(_ => invoker.UnaryAsync(Echo.Write, "x", new CallOptions { Timeout = TimeSpan.FromSeconds(10) }).AsTask());
        await Eventually.TrueAsync(() => members[0].Server.Calls > 20 && members[1].Server.Calls > 20, "both members serve");
        await members[0].Discoverable.DrainAsync();
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        int before = members[1].Server.Calls;
        await Eventually.TrueAsync(() => members[1].Server.Calls > before + 20, "calls continue on the remaining member");
        Assert.Empty(await load.StopAsync());
        Assert.True(load.Succeeded > 40);
    }

    [Fact]
    public async Task A_rolling_restart_of_three_servers_under_load_loses_no_call_of_any_kind()
    {
        var members = (await StartMembersAsync("1.0.0", "1.0.0", "1.0.0")).ToList();
        var invoker = Invoker();
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 3, Eventually.Token());
        // Half not idempotent (never retried), half idempotent.
        await using var load = new CallLoad(worker =>
            invoker.UnaryAsync(worker % 2 == 0 ? Echo.Write : Echo.Who, "x", new CallOptions { Timeout = TimeSpan.FromSeconds(10) }).AsTask());
        for (int i = 0; i < 3; i++)
        {
            var old = members[0];
            members.RemoveAt(0);
            await old.Discoverable.DrainAsync();
            var fresh = await GossipMember.StartAsync($"r{i}-{Guid.NewGuid().ToString("n")[..4]}", new SemanticVersion(1, 0, 0), _client.LocalEndPoint);
            _owned.Add(fresh);
            members.Add(fresh);
            var addresses = members.Select(m => m.Server.Address).ToHashSet();
            await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 3 && e.All(x => addresses.Contains(x.Instance.Address)), Eventually.Token());
            int served = fresh.Server.Calls;
            await Eventually.TrueAsync(() => fresh.Server.Calls > served + 10, "the replacement serves");
        }
        Assert.Empty(await load.StopAsync());
        Assert.True(load.Succeeded > 100);
    }

    [Fact]
    public async Task Many_services_per_node_fit_the_tag_and_are_fetched_only_on_change()
    {
        var node = GossipMember.StartNode("big-" + Guid.NewGuid().ToString("n")[..6]);
        await using var registry = new GossipServiceRegistry(node);
        _owned.Add(node);
        var server = new TestServer(node.Name, DirectoryService.Create(registry));
        await server.Server.StartAsync();
        _owned.Add(server);
        await node.JoinAsync([_client.LocalEndPoint]);
        // 60 services with long names: far beyond Serf's 512-byte tag limit if listed in full.
        await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            registry.RegisterAsync(new ServiceInstance($"inventory.warehouse.service-{i:D3}", server.Address) { Version = new SemanticVersion(1, i, 0) }).AsTask()));
        // The names do not fit the tag budget, so the announcement says "*" and clients fetch the directory.
        await Eventually.TrueAsync(() => node.Member(node.Name)?.Tags.GetValueOrDefault("mw-svc")?.EndsWith(";*", StringComparison.Ordinal) == true, "compact tag");
        await Eventually.TrueAsync(async () => (await _registry.ResolveAsync("inventory.warehouse.service-042")).Count == 1, "a service of the big node resolves");
        var found = (await _registry.ResolveAsync("inventory.warehouse.service-042")).Single();
        Assert.Equal(new SemanticVersion(1, 42, 0), found.Version);
        long fetches = _registry.DirectoryFetches;
        for (int i = 0; i < 10; i++) await _registry.ResolveAsync("inventory.warehouse.service-007");
        Assert.Equal(fetches, _registry.DirectoryFetches);
    }

    [Fact]
    public async Task Watches_follow_member_events_without_polling()
    {
        // A resync interval far longer than the test: every change below must arrive by notification.
        await using var registry = new GossipServiceRegistry(_client, new GossipDiscoveryOptions { ResyncInterval = TimeSpan.FromHours(1) });
        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<ServiceInstance>>();
        var watch = Task.Run(async () =>
        {
            await foreach (var set in registry.WatchAsync(Echo.Service, stop.Token)) seen.Enqueue(set);
        });
        await Eventually.TrueAsync(() => seen.Count == 1, "the watch yields the first (empty) set");

        var member = (await StartMembersAsync("1.0.0"))[0];
        await Eventually.TrueAsync(() => seen.LastOrDefault() is [{ } only] && only.Address == member.Server.Address, "the watch sees the new member's instance");
        await member.Discoverable.DrainAsync();
        await Eventually.TrueAsync(() => seen.LastOrDefault() is [], "the watch sees the instance go");
        Assert.Equal(0, registry.Resyncs);

        await stop.CancelAsync();
        await watch;
    }

    [Fact]
    public async Task Member_changes_reach_every_subscriber()
    {
        var first = new System.Collections.Concurrent.ConcurrentQueue<MemberEventRecord>();
        var second = new System.Collections.Concurrent.ConcurrentQueue<MemberEventRecord>();
        Action<MemberEventRecord> a = first.Enqueue, b = second.Enqueue;
        _client.MemberChanged += a;
        _client.MemberChanged += b;
        try
        {
            var member = (await StartMembersAsync("1.0.0"))[0];
            foreach (var q in new[] { first, second })
            {
                await Eventually.TrueAsync(() => q.Any(e => e.Type == MemberEventType.Join && e.Member.Name == member.Node.Name), "a subscriber sees the join");
                // Registering re-announces the member's tag: an update event.
                await Eventually.TrueAsync(() => q.Any(e => e.Type == MemberEventType.Update && e.Member.Name == member.Node.Name), "a subscriber sees the tag update");
            }
        }
        finally
        {
            _client.MemberChanged -= a;
            _client.MemberChanged -= b;
        }
    }

    [Fact]
    public async Task Registering_on_a_lone_node_does_not_wait_out_the_broadcast_timeout()
    {
        var node = new SerfNode(new SerfOptions
        {
            Memberlist = new Meshwork.Gossip.MemberlistOptions { Name = "lone-" + Guid.NewGuid().ToString("n")[..6], BindAddress = System.Net.IPAddress.Loopback, BindPort = 0 },
            // Far longer than the wait below: if registering waited for a broadcast nobody can receive, this test fails.
            BroadcastTimeout = TimeSpan.FromMinutes(10),
        });
        node.Start();
        _owned.Add(node);
        await using var registry = new GossipServiceRegistry(node);
        await registry.RegisterAsync(new ServiceInstance(Echo.Service, "127.0.0.1:7001")).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("1;", node.Member(node.Name)!.Tags["mw-svc"], StringComparison.Ordinal);
        Assert.Single(await registry.ResolveAsync(Echo.Service));
    }
}

