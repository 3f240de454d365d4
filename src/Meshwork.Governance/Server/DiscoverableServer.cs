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
    private readonly ServiceAnnouncement _announcement;
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
        if (_announcement.Services is { } only)
        {
            var missing = only.Where(name => !Server.Services.Any(s => s.Name == name)).Order(StringComparer.Ordinal).ToArray();
            if (missing.Length > 0)
            {
                throw new InvalidOperationException($"the announcement names services the server does not host: {string.Join(", ", missing)}; it hosts {string.Join(", ", Server.Services.Select(s => s.Name))}");
            }
        }
        // The heartbeat target of clients whose breaker for this server is open; it says "not serving" once draining.
        if (!Server.Services.Any(s => s.Name == HealthService.ServiceName)) Server.AddService(HealthService.Create(() => _drain is null));
        await Server.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _announcement.AdvertiseAddress ?? Server.BoundEndpoints[0].ToString();
        var instances = Server.Services
            .Where(s => !_announcement.Exclude.Contains(s.Name) && (_announcement.Services is null || _announcement.Services.Contains(s.Name)))
            .Select(s => new ServiceInstance(s.Name, address)
            {
                Version = _announcement.Version,
                Weight = _announcement.Weight,
                Zone = _announcement.Zone,
                Tags = new Dictionary<string, string>(_announcement.Tags, StringComparer.Ordinal),
                Metadata = new Dictionary<string, string>(_announcement.Metadata, StringComparer.Ordinal),
            })
            .ToArray();
        // Concurrently: registries that batch (gossip announces the whole set in one tag) then need one round trip.
        await Task.WhenAll(instances.Select(i => _registry.RegisterAsync(i, cancellationToken).AsTask())).ConfigureAwait(false);
        _registered = instances;
        GovernanceLog.Registered(_log, instances.Length, address);
    }

    /// <summary>Runs the drain protocol once; later calls wait for the first.</summary>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        lock (_announcement)
        {
            return _drain ??= DrainCoreAsync(cancellationToken);
        }
    }

    private async Task DrainCoreAsync(CancellationToken ct)
    {
        DrainStarting?.Invoke(this, EventArgs.Empty);
        try
        {
            await Task.WhenAll(_registered.Select(i => _registry.DeregisterAsync(i, ct).AsTask())).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException)
        {
            // An unreachable registry expires the registration itself (lease, session, failure detection); drain on.
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
