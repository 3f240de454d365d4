using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance;
using Meshwork.Governance.Configuration;
using Meshwork.Governance.Server;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Client;
using Meshwork.Security.Client;
using Meshwork.Security.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// What <c>AddMeshwork</c> registered, and the state built from it: the document (read once, on first use), the
/// registry (connected once, by whoever needs it first), the governed invoker and its reloader, the discoverable
/// server. Owned by the container; <see cref="MeshworkRegistryHostedService"/> tears it down on stop.
/// </summary>
internal sealed class MeshworkGovernance
{
    private readonly IServiceProvider _services;
    private readonly MeshworkSettings _settings;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Lazy<(GovernanceDocument Document, RpcClientOptions Template)> _document;
    private readonly Lock _gate = new();
    private Task<IServiceRegistry>? _connect;
    private GovernedCallInvoker? _invoker;
    private GovernanceReloader? _reloader;
    private MeshworkServerReloader? _serverReloader;

    public MeshworkGovernance(IServiceProvider services, MeshworkSettings settings)
    {
        _services = services;
        _settings = settings;
        _loggerFactory = services.GetService<ILoggerFactory>();
        _document = new(ReadDocument);
        Registry = new DeferredServiceRegistry(this, settings.Section.GetSection("Registry:Type").Value?.Trim() ?? "meshwork");
    }

    /// <summary>The document's root section.</summary>
    public IConfigurationSection Section => _settings.Section;

    /// <summary>The document, read and checked on first use; a bad value throws <see cref="DiscoveryConfigurationException"/> naming the key.</summary>
    public GovernanceDocument Document => _document.Value.Document;

    /// <summary>The registry as the container hands it out: usable at once, forwarding to the connected registry.</summary>
    public DeferredServiceRegistry Registry { get; }

    /// <summary>The gossip registry when <c>Registry:Type</c> is gossip (its node serves the directory); known once connected.</summary>
    public GossipServiceRegistry? Gossip { get; private set; }

    /// <summary>The hosted server, once started through the registry.</summary>
    public DiscoverableServer? Server { get; set; }

    /// <summary>The hosted server's rate limits (<c>Server:Limits</c>), once the server is built.</summary>
    public ServerRateLimitMiddleware? ServerLimits { get; set; }

    /// <summary>The credentials the governed clients sign with, when <c>Security:Credentials</c> was set at start.</summary>
    public SwappableCallCredentials? Credentials { get; private set; }

    /// <summary>The container, for the pieces a reload reconfigures (the server's security, its options).</summary>
    public IServiceProvider Services => _services;

    /// <summary>The logger factory of the host, if any.</summary>
    public ILoggerFactory? LoggerFactory => _loggerFactory;

    /// <summary>Connects the registry once; every caller waits for the same attempt.</summary>
    public Task<IServiceRegistry> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_gate) _connect ??= ConnectCoreAsync();
        return _connect.WaitAsync(cancellationToken);
    }

    /// <summary>The connected registry, or null before <see cref="ConnectAsync"/> completed.</summary>
    public IServiceRegistry? Connected => _connect is { IsCompletedSuccessfully: true } t ? t.Result : null;

    private async Task<IServiceRegistry> ConnectCoreAsync()
    {
        var providers = new ServiceRegistryProviders(_services.GetServices<IServiceRegistryProvider>());
        var registry = await Document.ConnectRegistryAsync(providers, _loggerFactory).ConfigureAwait(false);
        Gossip = ((registry as CachedServiceRegistry)?.Inner ?? registry) as GossipServiceRegistry;
        return registry;
    }

    private (GovernanceDocument, RpcClientOptions) ReadDocument()
    {
        var template = new RpcClientOptions { LoggerFactory = _loggerFactory };
        var channel = Section.GetSection("Client:Channel");
        var errors = new List<string>();
        OptionsBinder.Bind(typeof(RpcClientOptions), template, channel, errors);
        if (errors.Count > 0) throw new OptionsValidationException(Options.DefaultName, typeof(RpcClientOptions), errors);
        foreach (var configure in _settings.ChannelCallbacks) configure(template);
        var security = Section.GetSection("Security");
        if (SecurityConfiguration.ReadCredentials(security) is { } credentials)
        {
            Credentials = new SwappableCallCredentials(credentials);
            template.UseCredentials(Credentials);
        }
        var document = GovernanceDocument.Read(Section, template);
        CreateInvoker(document.Client);
        return (document, template);
    }

    /// <summary>
    /// The invoker and its reloader are made with the document, at start: the reloader then compares every change
    /// with what the invoker was built from, however late the first client is resolved. The invoker is idle until
    /// its first call (routes and watches are made per service on first use).
    /// </summary>
    private void CreateInvoker(GovernanceOptions options)
    {
        foreach (var configure in _settings.ClientCallbacks) configure(options);
        // "nearest" needs the Serf coordinates of the gossip registry, which is connected later.
        if (options.RttEstimator is null && string.Equals(Registry.Name, "gossip", StringComparison.OrdinalIgnoreCase)) options.RttEstimator = Registry;
        var invoker = new GovernedCallInvoker(Registry, options, _loggerFactory);
        Action<GovernanceOptions>? reconfigure = _settings.ClientCallbacks.Count == 0 ? null : o =>
        {
            foreach (var configure in _settings.ClientCallbacks) configure(o);
        };
        lock (_gate)
        {
            _invoker = invoker;
            _reloader = new GovernanceReloader(Section, invoker, _loggerFactory, reconfigure);
            _serverReloader = new MeshworkServerReloader(this);
        }
    }

    /// <summary>The shared invoker of the governed clients (the document is read, and checked, on first use).</summary>
    public GovernedCallInvoker Invoker
    {
        get
        {
            _ = Document;
            return _invoker!;
        }
    }

    /// <summary>The reloader of the client settings, once the invoker exists.</summary>
    public GovernanceReloader? Reloader => _reloader;

    /// <summary>The reloader of the server side (limits, security, announcement) and of the clients' credentials, once the document is read.</summary>
    public MeshworkServerReloader? ServerReloader => _serverReloader;

    /// <summary>Stops the reloader and the invoker, then disposes the registry (a gossip registry leaves its cluster).</summary>
    public async Task StopAsync()
    {
        GovernedCallInvoker? invoker;
        lock (_gate)
        {
            invoker = _invoker;
            _reloader?.Dispose();
            _serverReloader?.Dispose();
        }
        if (invoker is not null) await invoker.DisposeAsync().ConfigureAwait(false);
        if (_connect is { } connect)
        {
            try
            {
                var registry = await connect.ConfigureAwait(false);
                await registry.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is DiscoveryConfigurationException or RegistryUnavailableException or OperationCanceledException)
            {
                // It never connected: nothing to dispose (the start already reported why).
            }
        }
    }
}

/// <summary>What <c>AddMeshwork</c> was given: the document's section and the code-side callbacks.</summary>
internal sealed class MeshworkSettings(IConfigurationSection section)
{
    public IConfigurationSection Section { get; } = section;

    public List<Action<RpcClientOptions>> ChannelCallbacks { get; } = [];

    public List<Action<GovernanceOptions>> ClientCallbacks { get; } = [];
}
