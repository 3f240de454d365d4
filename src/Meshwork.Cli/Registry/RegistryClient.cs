using Meshwork.Cli.Calls;
using Meshwork.Discovery;
using Meshwork.Discovery.Dns;
using Meshwork.Discovery.Etcd;
using Meshwork.Discovery.Gossip;
using Meshwork.Discovery.ZooKeeper;
using Meshwork.Governance;
using Meshwork.Governance.Configuration;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Cli.Registry;

/// <summary>
/// The registry a configuration document names, connected through the providers every Meshwork application uses,
/// and a <see cref="GovernedCallInvoker"/> over it with the document's <c>Client</c> policies (balancer, fail-over,
/// retry budget, breaker), speaking JSON through <see cref="JsonCodecs"/>.
/// </summary>
internal sealed class RegistryClient : IAsyncDisposable
{
    private RegistryClient(IServiceRegistry registry, GovernedCallInvoker invoker, IConfiguration document)
    {
        Registry = registry;
        Invoker = invoker;
        Document = document;
    }

    public IServiceRegistry Registry { get; }

    public GovernedCallInvoker Invoker { get; }

    /// <summary>The configuration the registry was created from (its <c>Registry</c> section lists static services).</summary>
    public IConfiguration Document { get; }

    /// <summary>The providers of every registry type Meshwork ships.</summary>
    public static ServiceRegistryProviders Providers { get; } = new(
        new StaticServiceRegistryProvider(),
        new GossipServiceRegistryProvider(),
        new EtcdServiceRegistryProvider(),
        new ZooKeeperRegistryProvider(),
        new DnsServiceRegistryProvider());

    /// <summary>The client template: library defaults, with JSON-transcoding serializers.</summary>
    public static RpcClientOptions ClientOptions() => new() { Serializers = JsonCodecs.Create() };

    /// <exception cref="DiscoveryConfigurationException">A value is invalid, or the registry cannot be reached (the message says which).</exception>
    public static async Task<RegistryClient> ConnectAsync(IConfiguration document, CancellationToken ct)
    {
        var governance = GovernanceDocument.Read(document, ClientOptions());
        var registry = await governance.ConnectRegistryAsync(Providers, cancellationToken: ct);
        try
        {
            return new RegistryClient(registry, new GovernedCallInvoker(registry, governance.Client), document);
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the client has at least one instance of <paramref name="service"/> to call; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForInstancesAsync(string service, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await Invoker.WaitForEndpointsAsync(service, e => e.Count > 0, limit.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Invoker.DisposeAsync();
        // A gossip registry leaves the cluster here, so the members see the CLI go as "left", not "failed".
        await Registry.DisposeAsync();
    }
}
