using Meshwork.Hosting;
using Meshwork.Hosting.Client;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers typed Meshwork clients backed by container-owned channels.</summary>
public static class MeshworkClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContract"/> (an <c>[RpcService]</c> interface) as a singleton client, and its
    /// <see cref="RpcChannel"/> as a singleton keyed by the service name (<c>GetRequiredKeyedService&lt;RpcChannel&gt;(name)</c>).
    /// Address and options come from <c>Meshwork:Clients:{ServiceName}</c>, then <paramref name="address"/> and
    /// <paramref name="configure"/> override them. Options are validated when the host starts. The channel logs through
    /// the host's logger factory, connects on first use and is disposed with the container (dispose it asynchronously,
    /// as the generic host does: the channel only implements <see cref="IAsyncDisposable"/>).
    /// </summary>
    public static IMeshworkClientBuilder<TContract> AddMeshworkClient<TContract>(this IServiceCollection services, string? address = null,
        Action<RpcClientOptions>? configure = null)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(services);
        string name = RpcContracts.ServiceName<TContract>();
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<MeshworkClientOptions>, ClientConfigurationBinder>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeshworkClientOptions>, ClientOptionsValidator>());
        services.AddOptions<MeshworkClientOptions>(name).ValidateOnStart();
        if (!string.IsNullOrWhiteSpace(address)) services.Configure<MeshworkClientOptions>(name, o => o.Address = address.Trim());
        if (configure is not null) services.Configure<MeshworkClientOptions>(name, o => configure(o.Rpc));
        services.TryAddKeyedSingleton<RpcChannel>(name, static (sp, key) => CreateChannel(sp, (string)key!));
        services.TryAddSingleton<TContract>(sp => RpcContracts.CreateClient<TContract>(sp.GetRequiredKeyedService<RpcChannel>(name)));
        return new MeshworkClientBuilder<TContract>(services, name);
    }

    private static RpcChannel CreateChannel(IServiceProvider sp, string name)
    {
        var options = sp.GetRequiredService<IOptionsMonitor<MeshworkClientOptions>>().Get(name);
        var loggerFactory = sp.GetService<ILoggerFactory>();
        options.Rpc.LoggerFactory ??= loggerFactory;
        var channel = RpcChannel.ForAddress(options.Address!, options.Rpc);
        HostingLog.ClientCreated(loggerFactory?.CreateLogger("Meshwork.Hosting.Client") ?? NullLogger.Instance, name, channel.Endpoint.Display);
        return channel;
    }
}
