using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Hosting;

/// <summary>
/// Configures what <c>AddMeshwork</c> reads from the configuration document: the registry providers it may use, the
/// hosted server (discoverable: registered on start, deregistered first on drain), the governed clients, and the
/// code-side settings that configuration cannot hold. Returned by <c>AddMeshwork</c>.
/// </summary>
public interface IMeshworkBuilder
{
    /// <summary>The service collection Meshwork is registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>The document's root section (<c>Application</c>, <c>Registry</c>, <c>Server</c>, <c>Client</c>, <c>Security</c>).</summary>
    IConfigurationSection Configuration { get; }

    /// <summary>
    /// Lets <c>Registry:Type</c> name <paramref name="provider"/>'s type (for example
    /// <c>new EtcdServiceRegistryProvider()</c> from Meshwork.Discovery.Etcd). <c>static</c> and <c>gossip</c> are
    /// built in; a provider of the same type replaces the built-in one.
    /// </summary>
    IMeshworkBuilder AddRegistryProvider(IServiceRegistryProvider provider);

    /// <summary>
    /// Hosts the server (as <c>AddMeshworkServer</c> does) and makes it discoverable: it registers its services
    /// with the registry once it listens, and on stop deregisters them first, waits
    /// <c>Server:Drain:PropagationDelay</c>, then goes away and finishes in-flight calls. Its options are bound from
    /// the document's <c>Server</c> section (the RPC keys and the governance keys are one set), then
    /// <paramref name="configure"/>. Security (from <c>Security</c>) and the server rate limits
    /// (<c>Server:Limits</c>) run before any other middleware.
    /// </summary>
    IMeshworkServerBuilder AddServer(Action<RpcServerOptions>? configure = null);

    /// <summary>
    /// Registers <typeparamref name="TContract"/> (an <c>[RpcService]</c> interface) as a singleton client over the
    /// shared <see cref="GovernedCallInvoker"/>: calls resolve the service through the registry, are routed,
    /// balanced and made resilient per the document's <c>Client</c> section.
    /// </summary>
    IMeshworkBuilder AddClient<TContract>() where TContract : class;

    /// <summary>
    /// Adjusts the channel template of the governed clients (after <c>Client:Channel</c> is bound, before the
    /// <c>Client</c> section is read): serializers the codecs may name, TLS in code, client middleware.
    /// </summary>
    IMeshworkBuilder ConfigureChannel(Action<RpcClientOptions> configure);

    /// <summary>
    /// Adjusts the client's policies after the <c>Client</c> section is read, and again after every reload (for
    /// what configuration cannot hold, such as fallbacks and hash-key selectors).
    /// </summary>
    IMeshworkBuilder ConfigureClient(Action<GovernanceOptions> configure);
}
