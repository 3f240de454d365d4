using System.Text;
using Meshwork.Discovery;
using Meshwork.Discovery.Etcd;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance.Configuration;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Governance.Tests;

/// <summary>The one-document configuration (application, registry, server, client) read through the YAML provider.</summary>
public sealed class GovernanceDocumentTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-doc-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_dir, true);
        return ValueTask.CompletedTask;
    }

    private static ServiceRegistryProviders Providers() =>
        new(new StaticServiceRegistryProvider(), new GossipServiceRegistryProvider(), new EtcdServiceRegistryProvider());

    private static IConfigurationSection Yaml(string yaml, Dictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder().AddYamlStream(new MemoryStream(Encoding.UTF8.GetBytes(yaml)));
        if (overrides is not null) builder.AddInMemoryCollection(overrides);
        return builder.Build().GetSection("Governance");
    }

    private const string Minimal = """
        Governance:
          Registry:
            Type: static
        """;

    [Fact]
    public void The_sample_in_docs_is_read_as_documented()
    {
        var config = new ConfigurationBuilder().AddYamlFile(Path.Combine(Repository.Root, "docs", "samples", "meshwork.yaml")).Build();
        var doc = GovernanceDocument.Read(config.GetSection("Meshwork"));

        Assert.Equal("orders-app", doc.Application.Name);
        Assert.Equal(new SemanticVersion(1, 4, 2), doc.Application.Version);
        Assert.Equal("gossip", doc.Registry["Type"]);
        Assert.Equal("cache/services.json", doc.Cache!.Path);
        Assert.Equal(TimeSpan.FromSeconds(10), doc.RegistryStartTimeout);

        // Server: announced version and zone come from Application; limits and drain as written.
        var a = doc.Server.Announcement;
        Assert.Equal(new SemanticVersion(1, 4, 2), a.Version);
        Assert.Equal("a", a.Zone);
        Assert.Equal("10.0.0.7:9000", a.AdvertiseAddress);
        Assert.Equal(["orders"], a.Services!);
        Assert.Equal("lf", a.Tags["idc"]);
        Assert.Equal(TimeSpan.FromSeconds(2), a.PropagationDelay);
        var serverOptions = new RpcServerOptions();
        doc.Server.ApplyTo(serverOptions);
        Assert.Equal(["0.0.0.0:9000"], serverOptions.Endpoints);
        Assert.Equal(5000, serverOptions.MaxConcurrentCalls);
        Assert.Equal(TimeSpan.FromSeconds(10), serverOptions.DrainTimeout);
        Assert.Equal(2000, doc.Server.RateLimits!.Services["orders"].PermitsPerSecond);
        Assert.Equal(100, doc.Server.RateLimits.Methods["orders/Pay"].PermitsPerSecond);
        Assert.Equal(64, doc.Server.RateLimits.MaxConcurrentByMethod["orders/Pay"]);
        Assert.Empty(doc.Server.RateLimits.MaxConcurrentByService);
        Assert.Equal(50, doc.Server.RateLimits.PerCaller!.PermitsPerSecond);

        // Client: per service and per method.
        var inventory = doc.Client.For("inventory");
        Assert.True(inventory.Route.Version!.Contains(new SemanticVersion(1, 9, 0)));
        Assert.False(inventory.Route.Version.Contains(new SemanticVersion(2, 0, 0)));
        Assert.Equal("a", inventory.Route.PreferredZone); // the application's zone
        Assert.Equal("consistent-hash", inventory.Balancer);
        Assert.Equal("msgpack", inventory.Codec);
        Assert.Equal(2 * 1024 * 1024, inventory.MaxMessageSize);
        Assert.Equal(TimeSpan.FromSeconds(2), inventory.ConnectTimeout);
        Assert.Equal(2, inventory.ConnectionsPerInstance);
        Assert.Equal(200, inventory.MaxConcurrentCalls);
        Assert.Equal(500, inventory.RateLimit!.PermitsPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), inventory.CircuitBreaker!.BreakDuration);
        var get = inventory.For("Get");
        Assert.Equal(FailMode.FailBackup, get.FailMode);
        Assert.Equal(TimeSpan.FromMilliseconds(30), get.HedgeDelay);
        Assert.Equal("gzip", get.Compression);
        Assert.Null(get.RateLimit);
        Assert.Null(get.Codec); // the service's
        Assert.Equal("protobuf", inventory.For("Export").Codec);
        var reserve = inventory.For("Reserve");
        Assert.Equal(FailMode.FailFast, reserve.FailMode);
        Assert.Equal(50, reserve.RateLimit!.PermitsPerSecond);
        doc.Client.Validate();
    }

    [Theory]
    [InlineData("Governance:Client:Services:orders:Version", ">=1.x.2", "follows a wildcard")]
    [InlineData("Governance:Client:Services:orders:Version", "1.2.3.4", "invalid version range")]
    [InlineData("Governance:Client:Services:orders:Balancer", "fastest", "unknown balancer 'fastest'")]
    [InlineData("Governance:Client:Services:orders:Balancer", "nearest", "RTT estimator")]
    [InlineData("Governance:Client:Services:orders:Codec", "xml", "unknown codec 'xml'; known: msgpack, protobuf")]
    [InlineData("Governance:Client:Services:orders:Codec:Name", "thrift", "unknown codec 'thrift'")]
    [InlineData("Governance:Client:Services:orders:Codec:MaxSize", "1k", "below the smallest message size")]
    [InlineData("Governance:Client:Services:orders:Methods:Get:Compression", "lz4", "unknown compression 'lz4'")]
    [InlineData("Governance:Client:Services:orders:Methods:Get:RateLimit:PermitsPerSecond", "fast", "is not a number")]
    [InlineData("Governance:Client:Services:orders:ConnectionsPerInstance", "0", "between 1 and 64")]
    [InlineData("Governance:Application:Version", "one", "not a semantic version")]
    [InlineData("Governance:Server:Endpoints", "9000", "is not host:port")]
    [InlineData("Governance:Server:Address", "127.0.0.1:9000", "renamed: write Governance:Server:Endpoints")]
    [InlineData("Governance:Server:Drain:Timeout", "5s", "renamed: write Governance:Server:DrainTimeout")]
    [InlineData("Governance:Client:Services:orders:Methods:Get:Codec", "xml", "unknown codec 'xml'; known: msgpack, protobuf")]
    [InlineData("Governance:Server:Weight", "-1", "between 1 and")]
    [InlineData("Governance:Server:Drain:PropagationDelay", "later", "positive duration")]
    [InlineData("Governance:Server:Limits:Services:orders:Burst", "5", "missing; a limit needs its sustained rate")]
    [InlineData("Governance:Registry:Type", "", "missing")]
    [InlineData("Governance:Server:Limits:Methods:orders/Pay:MaxConcurrent", "0", "between 1 and")]
    [InlineData("Governance:Server:Limits:Services:orders:MaxConcurrent", "many", "is not an integer")]
    [InlineData("Governance:Registry:StartTimeout", "0s", "positive duration")]
    [InlineData("Governance:Registry:Cache:PullInterval", "often", "positive duration")]
    public void Bad_values_name_their_key(string key, string value, string problem)
    {
        var expectedKey = key.EndsWith(":Burst", StringComparison.Ordinal) ? key.Replace(":Burst", ":PermitsPerSecond", StringComparison.Ordinal) : key;
        var e = Assert.Throws<DiscoveryConfigurationException>(() => GovernanceDocument.Read(Yaml(Minimal, new() { [key] = value })));
        Assert.Equal(expectedKey, e.Key);
        Assert.Contains(expectedKey, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_concurrency_limit_alone_needs_no_rate()
    {
        var doc = GovernanceDocument.Read(Yaml(Minimal, new()
        {
            ["Governance:Server:Limits:Services:orders:MaxConcurrent"] = "100",
            ["Governance:Server:Limits:Methods:orders/Pay:MaxConcurrent"] = "8",
        }));
        var limits = doc.Server.RateLimits!;
        Assert.Equal(100, limits.MaxConcurrentByService["orders"]);
        Assert.Equal(8, limits.MaxConcurrentByMethod["orders/Pay"]);
        Assert.Empty(limits.Services);
        Assert.Empty(limits.Methods);
    }

    [Fact]
    public void A_method_limit_key_must_be_a_full_method_name()
    {
        var e = Assert.Throws<DiscoveryConfigurationException>(() => GovernanceDocument.Read(Yaml(Minimal, new() { ["Governance:Server:Limits:Methods:Pay:PermitsPerSecond"] = "5" })));
        Assert.Equal("Governance:Server:Limits:Methods:Pay", e.Key);
        Assert.Contains("service/method", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Governance:Registry:Type", "consul", "Governance:Registry:Type", "unknown registry type 'consul'; expected one of: etcd, gossip, static")]
    [InlineData("Governance:Registry:Bind", "nowhere", "Governance:Registry:Bind", "is not an IP address")]
    [InlineData("Governance:Registry:Profile", "mars", "Governance:Registry:Profile", "unknown gossip profile")]
    [InlineData("Governance:Registry:Endpoint", "127.0.0.1:2379", "Governance:Registry:Endpoint", "is not an http(s) URL")]
    public async Task Bad_provider_values_name_their_key(string key, string value, string expectedKey, string problem)
    {
        var type = key.EndsWith("Endpoint", StringComparison.Ordinal) ? "etcd" : key.EndsWith("Type", StringComparison.Ordinal) ? value : "gossip";
        var doc = GovernanceDocument.Read(Yaml(Minimal, new() { ["Governance:Registry:Type"] = type, [key] = value }));
        var e = await Assert.ThrowsAsync<DiscoveryConfigurationException>(() => doc.ConnectRegistryAsync(Providers()));
        Assert.Equal(expectedKey, e.Key);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_etcd_registry_fails_the_start_with_a_clear_error()
    {
        var doc = GovernanceDocument.Read(Yaml($"""
            Governance:
              Registry:
                Type: etcd
                Endpoint: http://127.0.0.1:{FreePort.TcpAndUdp()}
                StartTimeout: 20s
            """));
        var e = await Assert.ThrowsAsync<DiscoveryConfigurationException>(() => doc.ConnectRegistryAsync(Providers()));
        Assert.Equal("Governance:Registry", e.Key);
        Assert.Contains("the etcd registry cannot be reached at start", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_gossip_seed_fails_the_start_with_a_clear_error()
    {
        int closed = FreePort.TcpAndUdp();
        var doc = GovernanceDocument.Read(Yaml($"""
            Governance:
              Registry:
                Type: gossip
                Bind: 127.0.0.1:0
                Join: [ 127.0.0.1:{closed} ]
                StartTimeout: 30s
            """));
        var e = await Assert.ThrowsAsync<DiscoveryConfigurationException>(() => doc.ConnectRegistryAsync(Providers()));
        Assert.Equal("Governance:Registry", e.Key);
        Assert.Contains("the gossip registry cannot be reached at start", e.Message, StringComparison.Ordinal);
        Assert.Contains($"no seed of 'Governance:Registry:Join' (127.0.0.1:{closed}) answered", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"format\": 1, \"services\": { \"echo\": [ { \"address\": ")]
    [InlineData("\u0000\u0001binary garbage")]
    [InlineData("{ \"format\": 7, \"services\": {} }")]
    [InlineData("{ \"format\": 1, \"services\": { \"echo\": [ { \"address\": \"127.0.0.1:1\", \"version\": \"1.x\" } ] } }")]
    public async Task A_corrupt_cache_file_is_one_warning_never_a_crash(string content)
    {
        var path = Path.Combine(_dir, "services.json");
        await File.WriteAllTextAsync(path, content);
        var doc = GovernanceDocument.Read(Yaml(Minimal, new() { ["Governance:Registry:Cache:Path"] = path }));
        var logs = new TestLoggerFactory();
        await using var registry = await doc.ConnectRegistryAsync(Providers(), logs);
        var warning = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(4000, warning.Id.Id);
        Assert.Null(warning.Error);
        Assert.Empty(await registry.ResolveAsync(Echo.Service));
    }

    [Fact]
    public async Task An_unreachable_registry_with_a_filled_cache_starts_on_the_cache_with_one_warning()
    {
        var path = Path.Combine(_dir, "services.json");
        await using (var seed = new CachedServiceRegistry(new StaticServiceRegistry([new ServiceInstance(Echo.Service, "127.0.0.1:7001")]), new ServiceCacheOptions { Path = path }))
        {
            await seed.ResolveAsync(Echo.Service);
        }
        var doc = GovernanceDocument.Read(Yaml($"""
            Governance:
              Registry:
                Type: etcd
                Endpoint: http://127.0.0.1:{FreePort.TcpAndUdp()}
                StartTimeout: 20s
                Cache:
                  Path: {path}
            """));
        var logs = new TestLoggerFactory();
        await using var registry = await doc.ConnectRegistryAsync(Providers(), logs);
        Assert.Contains(logs.Entries, e => e.Id.Id == 4205 && e.Level == LogLevel.Warning);
        Assert.Equal("127.0.0.1:7001", Assert.Single(await registry.ResolveAsync(Echo.Service)).Address);
    }

    [Fact]
    public async Task A_document_drives_a_gossip_server_and_its_client_end_to_end()
    {
        var doc = GovernanceDocument.Read(Yaml("""
            Governance:
              Application: { Name: echo-app, Version: 1.4.2 }
              Registry:
                Type: gossip
                Bind: 127.0.0.1:0
                Profile: local
              Server:
                Endpoints: [ 127.0.0.1:0 ]
                Limits:
                  Methods: { "echo/Write": { PermitsPerSecond: 0.001, Burst: 1 } }
                Drain: { PropagationDelay: 100ms }
              Client:
                Services:
                  echo:
                    Version: ">=1.4 <2"
                    Codec: msgpack
                    Methods:
                      Who: { Compression: gzip, Timeout: 10s }
            """));
        await using var registry = await doc.ConnectRegistryAsync(Providers());
        var gossip = Assert.IsType<GossipServiceRegistry>(registry);

        var serverOptions = new RpcServerOptions();
        doc.Server.ApplyTo(serverOptions);
        var server = new RpcServer(serverOptions, name: "doc");
        server.AddService(new ServiceDefinition(Echo.Service)
            .AddUnary(Echo.Who, (s, _) => new ValueTask<string>("doc"))
            .AddUnary(Echo.Write, (s, _) => new ValueTask<string>("written")));
        server.AddService(DirectoryService.Create(gossip));
        await using var limits = new ServerRateLimitMiddleware(doc.Server.RateLimits!);
        server.Use(limits);
        await using var discoverable = new DiscoverableServer(server, registry, doc.Server.Announcement);
        await discoverable.StartAsync();
        Assert.Equal(new SemanticVersion(1, 4, 2), Assert.Single(discoverable.Registered).Version);

        await using var invoker = new GovernedCallInvoker(registry, doc.Client);
        await invoker.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());
        Assert.Equal("doc", await invoker.UnaryAsync(Echo.Who, "x"));
        Assert.Equal("written", await invoker.UnaryAsync(Echo.Write, "x"));
        // The server's per-method limit from the document: one burst permit, then shed at once.
        var shed = await Assert.ThrowsAsync<RpcException>(async () => await invoker.UnaryAsync(Echo.Write, "x"));
        Assert.Equal(StatusCode.ResourceExhausted, shed.Status);
    }
}
