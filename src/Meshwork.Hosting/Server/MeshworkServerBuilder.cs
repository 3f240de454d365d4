using System.Diagnostics.CodeAnalysis;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meshwork.Hosting.Server;

internal sealed class MeshworkServerBuilder(IServiceCollection services, MeshworkServerRegistrations registrations) : IMeshworkServerBuilder
{
    public IServiceCollection Services { get; } = services;

    public IMeshworkServerBuilder AddService<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>()
        where TContract : class
        where TImpl : class, TContract
    {
        Services.TryAddSingleton<TImpl>();
        registrations.Services.Add(sp => RpcContracts.Bind<TContract>(sp.GetRequiredService<TImpl>()));
        return this;
    }

    public IMeshworkServerBuilder AddScopedService<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>()
        where TContract : class
        where TImpl : class, TContract
    {
        Services.TryAddScoped<TImpl>();
        registrations.Services.Add(sp =>
        {
            var scopes = sp.GetRequiredService<IServiceScopeFactory>();
            return RpcContracts.BindPerCall<TContract>(context =>
            {
                var scope = scopes.CreateAsyncScope();
                context.RegisterForDispose((IAsyncDisposable)scope);
                return scope.ServiceProvider.GetRequiredService<TImpl>();
            });
        });
        return this;
    }

    public IMeshworkServerBuilder AddService<TContract>(Func<IServiceProvider, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        registrations.Services.Add(sp => RpcContracts.Bind(factory(sp)));
        return this;
    }

    public IMeshworkServerBuilder AddServiceDefinition(ServiceDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        registrations.Services.Add(_ => definition);
        return this;
    }

    public IMeshworkServerBuilder AddServiceDefinition(Func<IServiceProvider, ServiceDefinition> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        registrations.Services.Add(factory);
        return this;
    }

    public IMeshworkServerBuilder UseMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMiddleware>()
        where TMiddleware : class, IServerMiddleware
    {
        Services.TryAddSingleton<TMiddleware>();
        registrations.Middleware.Add(sp => sp.GetRequiredService<TMiddleware>());
        return this;
    }

    public IMeshworkServerBuilder UseMiddleware(IServerMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        registrations.Middleware.Add(_ => middleware);
        return this;
    }
}
