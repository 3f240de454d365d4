using System.Diagnostics.CodeAnalysis;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Hosting;

/// <summary>Configures one hosted client. Returned by <c>AddMeshworkClient&lt;TContract&gt;</c>.</summary>
public interface IMeshworkClientBuilder<TContract> where TContract : class
{
    /// <summary>The service collection the client is registered in, for registering what its middleware needs.</summary>
    IServiceCollection Services { get; }

    /// <summary>The contract's service name: the options name, the channel's DI key and the configuration section name.</summary>
    string ServiceName { get; }

    /// <summary>Adjusts the client options (after configuration and earlier callbacks).</summary>
    IMeshworkClientBuilder<TContract> Configure(Action<RpcClientOptions> configure);

    /// <summary>
    /// Adds client middleware resolved from the container (registered as a singleton unless you registered it).
    /// Middleware runs in the order it is added, including middleware added to <see cref="RpcClientOptions.Middleware"/> by
    /// option callbacks; the first runs outermost.
    /// </summary>
    IMeshworkClientBuilder<TContract> UseMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMiddleware>()
        where TMiddleware : class, IClientMiddleware;

    /// <summary>Adds a middleware instance.</summary>
    IMeshworkClientBuilder<TContract> UseMiddleware(IClientMiddleware middleware);
}
