using Meshwork.Hosting;
using Meshwork.Hosting.Governance;
using Meshwork.Hosting.Server;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Meshwork server that starts and stops with the host.</summary>
public static class MeshworkServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="RpcServer"/>. Options come from the <c>Meshwork:Server</c> configuration section (under
    /// <c>AddMeshwork</c>: the document's <c>Server</c> section, and the server is discoverable), then
    /// <paramref name="configure"/>; they are validated when the host starts, and a bad value fails the start with an
    /// <see cref="OptionsValidationException"/> naming the key. The running server is available from the container
    /// (<see cref="RpcServer.BoundEndpoints"/> tells which port <c>:0</c> picked). Calling this again returns a builder
    /// for the same server and adds <paramref name="configure"/> after the earlier ones.
    /// </summary>
    public static IMeshworkServerBuilder AddMeshworkServer(this IServiceCollection services, Action<RpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registrations = FindRegistrations(services);
        if (registrations is null)
        {
            registrations = new MeshworkServerRegistrations();
            services.AddSingleton(registrations);
            services.AddOptions();
            // Configuration first, so that the callback (registered after it) wins.
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<RpcServerOptions>, ServerConfigurationBinder>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RpcServerOptions>, ServerOptionsValidator>());
            services.AddOptions<RpcServerOptions>().ValidateOnStart();
            services.TryAddSingleton(CreateServer);
            services.AddHostedService<MeshworkServerHostedService>();
        }
        if (configure is not null) services.Configure(configure);
        return new MeshworkServerBuilder(services, registrations);
    }

    private static MeshworkServerRegistrations? FindRegistrations(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(MeshworkServerRegistrations) && !descriptor.IsKeyedService &&
                descriptor.ImplementationInstance is MeshworkServerRegistrations existing)
            {
                return existing;
            }
        }
        return null;
    }

    private static RpcServer CreateServer(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<RpcServerOptions>>().Value;
        var registrations = sp.GetRequiredService<MeshworkServerRegistrations>();
        var server = new RpcServer(options, sp.GetService<ILoggerFactory>());
        // Under AddMeshwork: security, then the server's rate limits, ahead of the application's middleware, so that
        // an unauthenticated flood is refused before it spends anyone's rate limit.
        if (sp.GetService<MeshworkGovernance>() is { } governance)
        {
            foreach (var middleware in GovernedServerMiddleware.Create(governance, sp)) server.Use(middleware);
        }
        foreach (var middleware in registrations.Middleware) server.Use(middleware(sp));
        foreach (var service in registrations.Services) server.AddService(service(sp));
        return server;
    }
}
