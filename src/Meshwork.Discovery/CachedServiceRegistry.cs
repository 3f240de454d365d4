using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery;

/// <summary>
/// Wraps a registry with a local cache of the last known instance sets, optionally persisted to disk. While the
/// registry is unreachable, resolves and watches are answered from the cache; a process that starts while the
/// registry is down loads the file. Watches combine the provider's watch with a periodic full pull and reconnect
/// with jittered exponential backoff. A corrupt cache file is ignored with one warning.
/// </summary>
public sealed class CachedServiceRegistry : IServiceRegistry
{
    private readonly IServiceRegistry _inner;
    private readonly ServiceCacheOptions _options;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IReadOnlyList<ServiceInstance>> _cache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inOutage = new(StringComparer.Ordinal);

    /// <summary>Creates the cache around <paramref name="inner"/> and loads the cache file if there is one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public CachedServiceRegistry(IServiceRegistry inner, ServiceCacheOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _options = options ?? new ServiceCacheOptions();
        _options.Validate();
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.Cache") ?? NullLogger.Instance;
        LoadFile();
    }

    /// <inheritdoc />
    public string Name => _inner.Name;

    /// <summary>The wrapped registry (for provider-specific members, such as the gossip directory).</summary>
    public IServiceRegistry Inner => _inner;

    /// <summary>Services currently held in the cache.</summary>
    public IReadOnlyCollection<string> CachedServices
    {
        get { lock (_gate) return _cache.Keys.ToArray(); }
    }

    private void LoadFile()
    {
        if (_options.Path is not { } path || !File.Exists(path)) return;
        try
        {
            var loaded = ServiceCacheFile.Load(path);
            lock (_gate)
            {
                foreach (var (k, v) in loaded) _cache[k] = v;
            }
            DiscoveryLog.CacheLoaded(_log, loaded.Count, path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One warning, no stack trace: a damaged cache is an operational fact, not a bug, and must never stop a start.
            DiscoveryLog.CacheCorrupt(_log, path, e.Message);
        }
    }

    /// <summary>The cached set of <paramref name="service"/>, or null if it was never seen.</summary>
    public IReadOnlyList<ServiceInstance>? Cached(string service)
    {
        lock (_gate) return _cache.GetValueOrDefault(service);
    }

    private bool Update(string service, IReadOnlyList<ServiceInstance> set)
    {
        Dictionary<string, IReadOnlyList<ServiceInstance>>? toSave = null;
        bool recovered;
        lock (_gate)
        {
            recovered = _inOutage.Remove(service);
            if (_cache.TryGetValue(service, out var old) && InstanceSets.Same(old, set)) { }
            else
            {
                _cache[service] = set;
                if (_options.Path is not null) toSave = new(_cache, StringComparer.Ordinal);
            }
        }
        if (recovered) DiscoveryLog.RegistryRecovered(_log, _inner.Name, service);
        if (toSave is not null) Save(toSave);
        return toSave is not null;
    }

    private readonly Lock _saveGate = new();

    private void Save(Dictionary<string, IReadOnlyList<ServiceInstance>> snapshot)
    {
        lock (_saveGate)
        {
            try
            {
                ServiceCacheFile.Save(_options.Path!, snapshot);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                DiscoveryLog.CacheWriteFailed(_log, _options.Path!, e.Message);
            }
        }
    }

    private IReadOnlyList<ServiceInstance>? Outage(string service, Exception error)
    {
        IReadOnlyList<ServiceInstance>? cached;
        bool first;
        lock (_gate)
        {
            cached = _cache.GetValueOrDefault(service);
            first = _inOutage.Add(service);
        }
        // Logged once per outage and service, not per call: a down registry must not flood the log.
        if (first) DiscoveryLog.ServingFromCache(_log, _inner.Name, service, cached?.Count ?? 0, error.Message);
        return cached;
    }

    /// <inheritdoc />
    public ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) => _inner.RegisterAsync(instance, cancellationToken);

    /// <inheritdoc />
    public ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) => _inner.DeregisterAsync(instance, cancellationToken);

    /// <summary>Asks the registry; when it fails, answers from the cache, and throws only when the service was never cached.</summary>
    /// <exception cref="RegistryUnavailableException">The registry is down and the cache has nothing for the service.</exception>
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        try
        {
            var set = await _inner.ResolveAsync(service, cancellationToken).ConfigureAwait(false);
            Update(service, set);
            return set;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Outage(service, e) ?? throw (e as RegistryUnavailableException ?? new RegistryUnavailableException(_inner.Name, e.Message, e));
        }
    }

    /// <summary>
    /// The cached set first (if any), then every change seen by the provider's watch or the periodic pull. Never
    /// throws for registry failures: it keeps the last set and reconnects in the background.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Only the newest set matters, so the queue holds one and drops older ones: bounded whatever the churn.
        var updates = Channel.CreateBounded<IReadOnlyList<ServiceInstance>>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = Task.Run(() => PumpAsync(service, updates.Writer, stop.Token), CancellationToken.None);
        IReadOnlyList<ServiceInstance>? last = Cached(service);
        try
        {
            if (last is not null) yield return last;
            while (true)
            {
                IReadOnlyList<ServiceInstance> next;
                try
                {
                    next = await updates.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                catch (ChannelClosedException)
                {
                    yield break;
                }
                if (last is null || !InstanceSets.Same(last, next))
                {
                    last = next;
                    yield return next;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(string service, ChannelWriter<IReadOnlyList<ServiceInstance>> writer, CancellationToken ct)
    {
        // Waits of 80–100 % of the nominal delay, so that ReconnectMax stays a ceiling.
        var backoff = new JitteredBackoff(_options.ReconnectInitial, _options.ReconnectMax, multiplier: 2, jitter: 0.2);
        while (!ct.IsCancellationRequested)
        {
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task? puller = null;
            try
            {
                var first = await _inner.ResolveAsync(service, session.Token).ConfigureAwait(false);
                Update(service, first);
                writer.TryWrite(first);
                backoff.Reset();
                puller = PullLoopAsync(service, writer, session.Token);
                await foreach (var set in _inner.WatchAsync(service, session.Token).ConfigureAwait(false))
                {
                    Update(service, set);
                    writer.TryWrite(set);
                }
                if (ct.IsCancellationRequested) break;
                Outage(service, new RegistryUnavailableException(_inner.Name, "the watch ended"));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                var cached = Outage(service, e);
                if (cached is not null) writer.TryWrite(cached);
            }
            finally
            {
                await session.CancelAsync().ConfigureAwait(false);
                if (puller is not null) await puller.ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(backoff.Next(), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        writer.TryComplete();
    }

    private async Task PullLoopAsync(string service, ChannelWriter<IReadOnlyList<ServiceInstance>> writer, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Task.Delay(Jitter(_options.PullInterval), ct).ConfigureAwait(false);
                var set = await _inner.ResolveAsync(service, ct).ConfigureAwait(false);
                Update(service, set);
                writer.TryWrite(set);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // The watch notices the outage too and reconnects; the pull only records it.
                Outage(service, e);
            }
        }
    }

    /// <summary>±20 %, so that the pulls of many clients drift apart instead of reaching the registry together.</summary>
    private static TimeSpan Jitter(TimeSpan d) => d * (0.8 + Random.Shared.NextDouble() * 0.4);

    /// <summary>Disposes the wrapped registry.</summary>
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
