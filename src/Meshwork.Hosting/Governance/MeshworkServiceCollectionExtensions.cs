using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance;
using Meshwork.Hosting;
using Meshwork.Hosting.Governance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Meshwork from one configuration document: registry, discoverable server, governed clients, security.</summary>
public static class MeshworkServiceCollectionExtensions
{
    /// <summary>
    /// Reads the Meshwork document rooted at <paramref name="configuration"/> (conventionally
    /// <c>builder.Configuration.GetSection("Meshwork")</c>) with its sections <c>Application</c>, <c>Registry</c>,
    /// <c>Server</c>, <c>Client</c> and <c>Security</c> (docs/governance.md, "Configuration"):
    /// <list type="bullet">
    /// <item>the registry <c>Registry:Type</c> names is created through the registered
    /// <see cref="IServiceRegistryProvider"/>s (<c>static</c> and <c>gossip</c> built in; add others with
    /// <see cref="IMeshworkBuilder.AddRegistryProvider"/>) and connected when the host starts; one that cannot be
    /// reached fails the start, naming the key. The container hands out <see cref="IServiceRegistry"/>;</item>
    /// <item><see cref="IMeshworkBuilder.AddServer"/> hosts a discoverable server;</item>
    /// <item><see cref="GovernedCallInvoker"/> is a singleton built from <c>Client</c>, and
    /// <see cref="IMeshworkBuilder.AddClient{TContract}"/> registers generated proxies over it; a change of the
    /// configuration (a file added with <c>reloadOnChange: true</c>) puts the new client settings in force without a
    /// restart, or is rejected with one log line (event 4221) while the old settings stay;</item>
    /// <item><c>Security</c> protects the server (bearer, HMAC, mTLS identity, per-method policies) and
    /// <c>Security:Credentials</c> signs the calls of the governed clients;</item>
    /// <item>the server side reloads too: <c>Server:Limits</c>, <c>Server:MaxConcurrentCalls</c>, <c>Security</c>
    /// (keys, tokens, policies), <c>Security:Credentials</c> and the announcement (published to the registry again)
    /// change without a restart; a bad change is rejected as a whole with one log line (event 3021), and keys read
    /// at start only (<c>Registry</c>, the listen and connection keys) get one warning (event 3022).</item>
    /// </list>
    /// Every bad value fails the host's start with an exception whose message names the key. Call it once.
    /// </summary>
    public static IMeshworkBuilder AddMeshwork(this IServiceCollection services, IConfigurationSection configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(MeshworkSettings)))
        {
            throw new InvalidOperationException("AddMeshwork was already called; call it once, with the document's section, and keep the builder it returns");
        }
        var settings = new MeshworkSettings(configuration);
        services.AddSingleton(settings);
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceRegistryProvider, StaticServiceRegistryProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceRegistryProvider, GossipServiceRegistryProvider>());
        services.AddSingleton<MeshworkGovernance>();
        services.AddSingleton<IServiceRegistry>(sp => sp.GetRequiredService<MeshworkGovernance>().Registry);
        services.AddSingleton(sp => sp.GetRequiredService<MeshworkGovernance>().Invoker);
        services.AddSingleton<SecurityMiddlewareHolder>();
        // The server's security middleware, for its counters; null when the document protects no server.
        services.AddSingleton(sp =>
        {
            _ = sp.GetService<Meshwork.Rpc.Server.RpcServer>(); // builds the server, and with it the middleware
            return sp.GetRequiredService<SecurityMiddlewareHolder>().Current!;
        });
        // Before any hosted server: the registry is connected, and the document checked, first.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MeshworkRegistryHostedService>());
        return new MeshworkBuilder(services, settings);
    }
}
