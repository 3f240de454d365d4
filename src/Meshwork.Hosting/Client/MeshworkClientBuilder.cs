using System.Diagnostics.CodeAnalysis;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meshwork.Hosting.Client;

internal sealed class MeshworkClientBuilder<TContract>(IServiceCollection services, string serviceName) : IMeshworkClientBuilder<TContract>
    where TContract : class
{
    public IServiceCollection Services { get; } = services;

    public string ServiceName { get; } = serviceName;

    public IMeshworkClientBuilder<TContract> Configure(Action<RpcClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<MeshworkClientOptions>(ServiceName, o => configure(o.Rpc));
        return this;
    }

    public IMeshworkClientBuilder<TContract> UseMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMiddleware>()
        where TMiddleware : class, IClientMiddleware
    {
        Services.TryAddSingleton<TMiddleware>();
        Services.AddOptions<MeshworkClientOptions>(ServiceName).Configure<IServiceProvider>((o, sp) => o.Rpc.Middleware.Add(sp.GetRequiredService<TMiddleware>()));
        return this;
    }

    public IMeshworkClientBuilder<TContract> UseMiddleware(IClientMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        Services.Configure<MeshworkClientOptions>(ServiceName, o => o.Rpc.Middleware.Add(middleware));
        return this;
    }
}
