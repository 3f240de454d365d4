using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meshwork.Hosting.Governance;

internal sealed class MeshworkBuilder(IServiceCollection services, MeshworkSettings settings) : IMeshworkBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfigurationSection Configuration => settings.Section;

    public IMeshworkBuilder AddRegistryProvider(IServiceRegistryProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.AddSingleton(provider);
        return this;
    }

    public IMeshworkServerBuilder AddServer(Action<RpcServerOptions>? configure = null) => Services.AddMeshworkServer(configure);

    public IMeshworkBuilder AddClient<TContract>() where TContract : class
    {
        Services.TryAddSingleton<TContract>(sp => RpcContracts.CreateClient<TContract>(sp.GetRequiredService<GovernedCallInvoker>()));
        return this;
    }

    public IMeshworkBuilder ConfigureChannel(Action<RpcClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        settings.ChannelCallbacks.Add(configure);
        return this;
    }

    public IMeshworkBuilder ConfigureClient(Action<GovernanceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        settings.ClientCallbacks.Add(configure);
        return this;
    }
}
