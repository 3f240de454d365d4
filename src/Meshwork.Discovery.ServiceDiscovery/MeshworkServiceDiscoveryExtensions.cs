using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ServiceDiscovery;

namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>Registers a Meshwork registry as a Microsoft.Extensions.ServiceDiscovery endpoint provider.</summary>
public static class MeshworkServiceDiscoveryExtensions
{
    /// <summary>
    /// Adds <paramref name="registry"/> as an endpoint provider. Also call <c>AddServiceDiscovery()</c> (or
    /// <c>AddServiceDiscoveryCore()</c>) from Microsoft.Extensions.ServiceDiscovery, and <c>AddServiceDiscovery()</c> on
    /// the HttpClient builders that should resolve names. The pass-through provider, if registered, always runs last.
    /// </summary>
    public static IServiceCollection AddMeshworkServiceEndpointProvider(this IServiceCollection services, IServiceRegistry registry,
        Action<MeshworkEndpointProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return services.AddMeshworkServiceEndpointProvider(_ => registry, configure);
    }

    /// <summary>As <see cref="AddMeshworkServiceEndpointProvider(IServiceCollection, IServiceRegistry, Action{MeshworkEndpointProviderOptions}?)"/>, with the registry taken from the container.</summary>
    public static IServiceCollection AddMeshworkServiceEndpointProvider(this IServiceCollection services, Func<IServiceProvider, IServiceRegistry> registry,
        Action<MeshworkEndpointProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(registry);
        var options = new MeshworkEndpointProviderOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton<IServiceEndpointProviderFactory>(sp =>
            new MeshworkServiceEndpointProviderFactory(registry(sp), options, sp.GetService<ILoggerFactory>()));
        return services;
    }
}
