using Meshwork.Discovery;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Meshwork.Discovery.ConfigurationValues;

namespace Meshwork.Governance.Configuration;

/// <summary>
/// One configuration document (YAML or JSON, read through <c>IConfiguration</c>) with the brief's four sections:
/// <c>Application</c> (name, version, zone), <c>Registry</c> (<c>Type</c> plus the provider's keys, and
/// <c>Cache</c>, <c>StartTimeout</c>), <c>Server</c> (<see cref="ServerSettings"/>) and <c>Client</c>
/// (<see cref="GovernanceConfiguration"/>). Reading checks every value and fails with a
/// <see cref="DiscoveryConfigurationException"/> that names the key; <see cref="ConnectRegistryAsync"/> creates the
/// registry and fails the same way when it cannot be reached at start. docs/governance.md has a full sample.
/// </summary>
public sealed class GovernanceDocument
{
    /// <summary>Name looked up to check that the registry answers at start: the gossip directory service, which no application owns.</summary>
    private const string ProbeService = "meshwork.discovery";

    private GovernanceDocument(ApplicationOptions application, IConfigurationSection registry, ServiceCacheOptions? cache, TimeSpan startTimeout,
        ServerSettings server, GovernanceOptions client)
    {
        Application = application;
        Registry = registry;
        Cache = cache;
        RegistryStartTimeout = startTimeout;
        Server = server;
        Client = client;
    }

    /// <summary>The <c>Application</c> section.</summary>
    public ApplicationOptions Application { get; }

    /// <summary>The <c>Registry</c> section, handed to the provider its <c>Type</c> names.</summary>
    public IConfigurationSection Registry { get; }

    /// <summary><c>Registry:Cache</c> (<c>Path</c>, <c>PullInterval</c>, <c>ReconnectInitial</c>, <c>ReconnectMax</c>); null when absent (no cache).</summary>
    public ServiceCacheOptions? Cache { get; }

    /// <summary>
    /// <c>Registry:StartTimeout</c>: how long <see cref="ConnectRegistryAsync"/> waits for the registry's first
    /// answer. Default 10 s: enough for a gossip join or an etcd connect on a loaded host, short enough that a wrong
    /// address fails the start rather than hanging it.
    /// </summary>
    public TimeSpan RegistryStartTimeout { get; }

    /// <summary>The <c>Server</c> section.</summary>
    public ServerSettings Server { get; }

    /// <summary>The <c>Client</c> section, ready for <see cref="GovernedCallInvoker"/>.</summary>
    public GovernanceOptions Client { get; }

    /// <summary>Reads and checks the document rooted at <paramref name="root"/> (for example <c>configuration.GetSection("Meshwork")</c>).</summary>
    /// <param name="root">The section holding <c>Application</c>, <c>Registry</c>, <c>Server</c> and <c>Client</c>.</param>
    /// <param name="client">Channel template for the client (its serializers are the codecs the document may name). Default: the RPC client defaults.</param>
    /// <exception cref="DiscoveryConfigurationException">A value is missing or invalid; the message names the key.</exception>
    public static GovernanceDocument Read(IConfiguration root, RpcClientOptions? client = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var application = ApplicationOptions.Read(root.GetSection("Application"));
        var registry = root.GetSection("Registry");
        var type = registry.GetSection("Type");
        if (string.IsNullOrWhiteSpace(type.Value)) throw new DiscoveryConfigurationException(type.Path, "missing; the registry type, for example gossip, etcd or static");
        ServiceCacheOptions? cache = null;
        var cacheSection = registry.GetSection("Cache");
        if (cacheSection.Exists())
        {
            cache = new ServiceCacheOptions();
            if (Get(cacheSection, "Path") is { } path) cache.Path = path.Value;
            if (Get(cacheSection, "PullInterval") is { } pull) cache.PullInterval = Duration(pull);
            if (Get(cacheSection, "ReconnectInitial") is { } ri) cache.ReconnectInitial = Duration(ri);
            if (Get(cacheSection, "ReconnectMax") is { } rm) cache.ReconnectMax = Duration(rm);
            if (cache.ReconnectMax < cache.ReconnectInitial) throw new DiscoveryConfigurationException(cacheSection.Path + ":ReconnectMax", "must be at least ReconnectInitial");
        }
        var startTimeout = Get(registry, "StartTimeout") is { } st ? Duration(st) : TimeSpan.FromSeconds(10);
        var server = ServerSettings.Read(root.GetSection("Server"), application);
        var clientOptions = ReadClient(root, application, client);
        return new GovernanceDocument(application, registry, cache, startTimeout, server, clientOptions);
    }

    /// <summary>
    /// Reads only the <c>Client</c> section of the document rooted at <paramref name="root"/> (with the
    /// application's zone as the preferred zone): what a configuration reload puts in force through
    /// <see cref="GovernedCallInvoker.Reconfigure"/>.
    /// </summary>
    /// <exception cref="DiscoveryConfigurationException">A value is missing or invalid; the message names the key.</exception>
    public static GovernanceOptions ReadClient(IConfiguration root, RpcClientOptions? client = null) =>
        ReadClient(root, ApplicationOptions.Read(root.GetSection("Application")), client);

    private static GovernanceOptions ReadClient(IConfiguration root, ApplicationOptions application, RpcClientOptions? client)
    {
        ArgumentNullException.ThrowIfNull(root);
        var type = root.GetSection("Registry:Type");
        if (string.IsNullOrWhiteSpace(type.Value)) throw new DiscoveryConfigurationException(type.Path, "missing; the registry type, for example gossip, etcd or static");
        // "nearest" needs gossip's coordinates, which exist once the registry is connected.
        bool gossip = string.Equals(type.Value.Trim(), "gossip", StringComparison.OrdinalIgnoreCase);
        var clientOptions = GovernanceConfiguration.Read(root.GetSection("Client"), null, client, allowNearestLater: gossip);
        // The client prefers its own zone unless its section names another.
        if (application.Zone is { } zone)
        {
            foreach (var policy in clientOptions.Services.Values.Append(clientOptions.Defaults)) policy.Route.PreferredZone ??= zone;
        }
        return clientOptions;
    }

    /// <summary>
    /// Creates the registry <c>Registry:Type</c> names (through <paramref name="providers"/>), wraps it in the disk
    /// cache when <c>Registry:Cache</c> is set, and checks that it answers within <see cref="RegistryStartTimeout"/>.
    /// A registry that cannot be reached fails the start with a clear error, unless the cache holds services from an
    /// earlier run: then it starts on the cache with one warning (event 4205), as the cache exists for exactly that.
    /// </summary>
    /// <exception cref="DiscoveryConfigurationException">Unknown type, a bad provider value, or the registry cannot be reached at start (key: the registry section).</exception>
    public async Task<IServiceRegistry> ConnectRegistryAsync(ServiceRegistryProviders providers, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var log = loggerFactory?.CreateLogger("Meshwork.Governance") ?? NullLogger.Instance;
        var registry = providers.Create(Registry, loggerFactory);
        var cached = Cache is { } cache ? new CachedServiceRegistry(registry, cache, loggerFactory) : null;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RegistryStartTimeout);
        try
        {
            await registry.ResolveAsync(ProbeService, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            string reason = e is OperationCanceledException ? $"no answer within {RegistryStartTimeout.TotalSeconds:0.#} s (Registry:StartTimeout)" : e.Message;
            if (cached is { CachedServices.Count: > 0 })
            {
                GovernanceLog.StartingOnCache(log, registry.Name, cached.CachedServices.Count, reason);
            }
            else
            {
                await registry.DisposeAsync().ConfigureAwait(false);
                throw new DiscoveryConfigurationException(Registry.Path, $"the {registry.Name} registry cannot be reached at start: {reason}", e);
            }
        }
        if (Client.RttEstimator is null && registry is IRttEstimator rtt) Client.RttEstimator = rtt;
        return cached ?? registry;
    }
}
