using Meshwork.Discovery;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Governance.Server;

/// <summary>
/// Ties an <see cref="RpcServer"/> to a registry: <see cref="StartAsync"/> starts the server and registers every
/// service; <see cref="DrainAsync"/> runs the drain protocol in order: deregister (clients stop picking this
/// server) → wait <see cref="ServiceAnnouncement.PropagationDelay"/> while still serving → go-away → finish
/// in-flight calls → close (the last three are <see cref="RpcServer.StopAsync"/>). Hosting calls it on stop.
/// </summary>
public sealed class DiscoverableServer : IAsyncDisposable
{
    private readonly IServiceRegistry _registry;
    private readonly Lock _drainGate = new();
    private readonly SemaphoreSlim _updates = new(1, 1);
    private ServiceAnnouncement _announcement;
    private readonly ILogger _log;
    private readonly Func<CancellationToken, Task>? _afterDeregister;
    private IReadOnlyList<ServiceInstance> _registered = [];
    private Task? _drain;

    /// <summary>Creates the pair; <paramref name="afterDeregister"/> runs after deregistering (for example a gossip leave).</summary>
    /// <exception cref="ArgumentException">The announcement is invalid.</exception>
    public DiscoverableServer(RpcServer server, IServiceRegistry registry, ServiceAnnouncement? announcement = null, ILoggerFactory? loggerFactory = null,
        Func<CancellationToken, Task>? afterDeregister = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(registry);
        Server = server;
        _registry = registry;
        _announcement = announcement ?? new ServiceAnnouncement();
        _announcement.Validate();
        _afterDeregister = afterDeregister;
        _log = loggerFactory?.CreateLogger("Meshwork.Governance.Server") ?? NullLogger.Instance;
    }

    /// <summary>The server.</summary>
    public RpcServer Server { get; }

    /// <summary>
    /// Raised once, first thing in <see cref="DrainAsync"/>: before deregistering and long before go-away, so readiness
    /// probes (Kubernetes, balancers using the health service) stop sending work while the server still serves.
    /// Handlers run synchronously and must be quick; an exception from one is not caught and fails the drain's start.
    /// </summary>
    public event EventHandler? DrainStarting;

    /// <summary>The instances registered by <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<ServiceInstance> Registered => _registered;

    /// <summary>Starts the server, then registers one instance per service at the advertised address.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        CheckServices(_announcement);
        // The heartbeat target of clients whose breaker for this server is open; it says "not serving" once draining.
        if (!Server.Services.Any(s => s.Name == HealthService.ServiceName)) Server.AddService(HealthService.Create(() => _drain is null));
        await Server.StartAsync(cancellationToken).ConfigureAwait(false);
        var instances = Instances(_announcement, out string address);
        // Concurrently: registries that batch (gossip announces the whole set in one tag) then need one round trip.
        await Task.WhenAll(instances.Select(i => _registry.RegisterAsync(i, cancellationToken).AsTask())).ConfigureAwait(false);
        _registered = instances;
        GovernanceLog.Registered(_log, instances.Length, address);
    }

    /// <summary>The announcement in force.</summary>
    public ServiceAnnouncement Announcement => _announcement;

    /// <summary>
    /// Publishes a changed announcement (hot reload): every instance is registered again with the new version,
    /// weight, zone, tags and metadata (registries replace an instance of the same id, so it never disappears);
    /// instances that are no longer announced (a changed <see cref="ServiceAnnouncement.Services"/> or advertised
    /// address) are deregistered after the new ones are registered. The new
    /// <see cref="ServiceAnnouncement.PropagationDelay"/> applies to the next drain. Does nothing once the drain has
    /// started; updates run one at a time.
    /// </summary>
    /// <returns>False when the drain had started and nothing was published.</returns>
    /// <exception cref="ArgumentException">The announcement is invalid (nothing changes).</exception>
    /// <exception cref="InvalidOperationException">The server has not started, or the announcement names a service the server does not host (nothing changes).</exception>
    /// <exception cref="RegistryUnavailableException">The registry cannot be reached; what was registered before stays registered.</exception>
    public async Task<bool> UpdateAnnouncementAsync(ServiceAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        announcement.Validate();
        CheckServices(announcement);
        await _updates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_drain is not null) return false;
            if (Server.BoundEndpoints.Count == 0) throw new InvalidOperationException("the server has not started; its announcement is published by StartAsync");
            var instances = Instances(announcement, out string address);
            try
            {
                await Task.WhenAll(instances.Select(i => _registry.RegisterAsync(i, cancellationToken).AsTask())).ConfigureAwait(false);
            }
            catch
            {
                // Some of them may be registered now: count them as registered, so that the next update (or the drain)
                // withdraws those it does not announce instead of leaving them in the registry for ever.
                lock (_drainGate)
                {
                    _registered = _registered.Concat(instances.Where(i => !_registered.Any(r => r.Id == i.Id))).ToArray();
                }
                throw;
            }
            var ids = instances.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            var gone = _registered.Where(i => !ids.Contains(i.Id)).ToArray();
            await Task.WhenAll(gone.Select(i => _registry.DeregisterAsync(i, cancellationToken).AsTask())).ConfigureAwait(false);
            lock (_drainGate)
            {
                _announcement = announcement;
                _registered = instances;
            }
            GovernanceLog.AnnouncementUpdated(_log, instances.Length, address, gone.Length);
            return true;
        }
        finally
        {
            _updates.Release();
        }
    }

    private void CheckServices(ServiceAnnouncement announcement)
    {
        if (announcement.Services is { } only)
        {
            var missing = only.Where(name => !Server.Services.Any(s => s.Name == name)).Order(StringComparer.Ordinal).ToArray();
            if (missing.Length > 0)
            {
                throw new InvalidOperationException($"the announcement names services the server does not host: {string.Join(", ", missing)}; it hosts {string.Join(", ", Server.Services.Select(s => s.Name))}");
            }
        }
    }

    private ServiceInstance[] Instances(ServiceAnnouncement announcement, out string address)
    {
        string at = address = announcement.AdvertiseAddress ?? Server.BoundEndpoints[0].ToString();
        return Server.Services
            .Where(s => !announcement.Exclude.Contains(s.Name) && (announcement.Services is null || announcement.Services.Contains(s.Name)))
            .Select(s => new ServiceInstance(s.Name, at)
            {
                Version = announcement.Version,
                Weight = announcement.Weight,
                Zone = announcement.Zone,
                Tags = new Dictionary<string, string>(announcement.Tags, StringComparer.Ordinal),
                Metadata = new Dictionary<string, string>(announcement.Metadata, StringComparer.Ordinal),
            })
            .ToArray();
    }

    /// <summary>Runs the drain protocol once; later calls wait for the first.</summary>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        lock (_drainGate)
        {
            return _drain ??= DrainCoreAsync(cancellationToken);
        }
    }

    private async Task DrainCoreAsync(CancellationToken ct)
    {
        DrainStarting?.Invoke(this, EventArgs.Empty);
        // An announcement update in progress finishes first, so that what it registers is deregistered here.
        bool updatesHeld = false;
        try
        {
            await _updates.WaitAsync(ct).ConfigureAwait(false);
            updatesHeld = true;
            await Task.WhenAll(_registered.Select(i => _registry.DeregisterAsync(i, ct).AsTask())).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            // An unreachable registry expires the registration itself (lease, session, failure detection); drain on.
        }
        catch (OperationCanceledException) when (!updatesHeld)
        {
            // The host's shutdown cut the wait short: drain on.
        }
        finally
        {
            if (updatesHeld) _updates.Release();
        }
        if (_afterDeregister is not null) await _afterDeregister(ct).ConfigureAwait(false);
        GovernanceLog.Deregistered(_log, _registered.Count, _announcement.PropagationDelay.TotalMilliseconds);
        try
        {
            await Task.Delay(_announcement.PropagationDelay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await Server.StopAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Drains (if not yet) and disposes the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
