using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Microsoft.Extensions.Logging;

namespace Meshwork.Governance.Tests;

/// <summary>The disk-persisted cache: registry down, process restart, corrupt file.</summary>
public sealed class CacheTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-cache-").FullName;
    private TestServer _server = null!;

    private string CachePath => Path.Combine(_dir, "services.json");

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync("cached");

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    /// <summary>A real registry behind a switch that makes it unreachable, as a registry outage looks to a client.</summary>
    private sealed class SwitchableRegistry(IServiceRegistry inner) : IServiceRegistry
    {
        private readonly TaskCompletionSource _wentDown = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Down { get; private set; }

        public void GoDown()
        {
            Down = true;
            _wentDown.TrySetResult();
        }

        public string Name => "switchable";

        private void Check()
        {
            if (Down) throw new RegistryUnavailableException(Name, "connection refused");
        }

        public ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
        {
            Check();
            return inner.RegisterAsync(instance, cancellationToken);
        }

        public ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
        {
            Check();
            return inner.DeregisterAsync(instance, cancellationToken);
        }

        public ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
        {
            Check();
            return inner.ResolveAsync(service, cancellationToken);
        }

        public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Check();
            var down = _wentDown.Task;
            await foreach (var set in inner.WatchAsync(service, cancellationToken))
            {
                yield return set;
                if (down.IsCompleted) break;
            }
            Check();
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task Calls_keep_working_from_the_cache_while_the_registry_is_down_and_after_a_restart()
    {
        var registry = new SwitchableRegistry(new StaticServiceRegistry([_server.Instance()]));
        var logs = new TestLoggerFactory();
        var cache = new CachedServiceRegistry(registry, new ServiceCacheOptions { Path = CachePath }, logs);
        await using (var invoker = new GovernedCallInvoker(cache))
        {
            Assert.Equal("cached", await invoker.UnaryAsync(Echo.Who, "x"));
            registry.GoDown();
            Assert.Single(await cache.ResolveAsync(Echo.Service));
            for (int i = 0; i < 5; i++) Assert.Equal("cached", await invoker.UnaryAsync(Echo.Who, "x"));
        }
        Assert.True(File.Exists(CachePath));
        Assert.Single(logs.Entries, e => e.Id.Id == 4002 && e.Message.Contains("echo", StringComparison.Ordinal));

        // A new process while the registry is still down: it loads the file and calls the service.
        var restarted = new CachedServiceRegistry(registry, new ServiceCacheOptions { Path = CachePath });
        await using var again = new GovernedCallInvoker(restarted);
        Assert.Equal("cached", await again.UnaryAsync(Echo.Who, "x"));
        Assert.Equal(_server.Address, (await restarted.ResolveAsync(Echo.Service)).Single().Address);
    }

    [Fact]
    public async Task Without_a_cache_entry_a_down_registry_is_a_clear_error()
    {
        var registry = new SwitchableRegistry(new StaticServiceRegistry());
        registry.GoDown();
        var cache = new CachedServiceRegistry(registry);
        var e = await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await cache.ResolveAsync(Echo.Service));
        Assert.Contains("switchable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_cache_file_is_ignored_with_one_warning()
    {
        await File.WriteAllTextAsync(CachePath, "{ \"format\": 1, \"services\": { \"echo\": [ { \"address\": ");
        var logs = new TestLoggerFactory();
        var cache = new CachedServiceRegistry(new StaticServiceRegistry([_server.Instance()]), new ServiceCacheOptions { Path = CachePath }, logs);
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(4000, warning.Id.Id);
        Assert.Null(warning.Error);
        Assert.Empty(cache.CachedServices);
        Assert.Single(await cache.ResolveAsync(Echo.Service));
        // The next successful resolve rewrote the file with good content.
        var reloaded = new CachedServiceRegistry(new StaticServiceRegistry(), new ServiceCacheOptions { Path = CachePath });
        Assert.Single(reloaded.Cached(Echo.Service)!);
    }

    [Fact]
    public async Task Watch_reports_registrations_and_deregistrations()
    {
        var inner = new StaticServiceRegistry();
        var cache = new CachedServiceRegistry(inner, new ServiceCacheOptions { Path = CachePath });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = cache.WatchAsync(Echo.Service, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Empty(watch.Current);
        await inner.RegisterAsync(_server.Instance());
        Assert.True(await watch.MoveNextAsync());
        Assert.Single(watch.Current);
        await inner.DeregisterAsync(_server.Instance());
        Assert.True(await watch.MoveNextAsync());
        Assert.Empty(watch.Current);
    }
}
