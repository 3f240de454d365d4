using System.Diagnostics.CodeAnalysis;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Hosting;

/// <summary>Adds services and middleware to the hosted Meshwork server. Returned by <c>AddMeshworkServer</c>.</summary>
public interface IMeshworkServerBuilder
{
    /// <summary>The service collection the server is registered in, for registering what its services and middleware need.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> (an <c>[RpcService]</c> interface) with <typeparamref name="TImpl"/> resolved
    /// from the container. Unless you registered <typeparamref name="TImpl"/> yourself it is added as a singleton, and
    /// either way it is resolved once, when the server is built: one instance handles every call, concurrently. For an
    /// instance per call (as gRPC-dotnet does) use <see cref="AddScopedService{TContract, TImpl}"/>.
    /// </summary>
    IMeshworkServerBuilder AddService<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>()
        where TContract : class
        where TImpl : class, TContract;

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with a fresh DI scope per call: <typeparamref name="TImpl"/> (registered scoped
    /// unless you registered it) and its scoped dependencies are resolved for the call and disposed when the call ends.
    /// </summary>
    IMeshworkServerBuilder AddScopedService<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>()
        where TContract : class
        where TImpl : class, TContract;

    /// <summary>Serves <typeparamref name="TContract"/> with the instance <paramref name="factory"/> returns (called once).</summary>
    IMeshworkServerBuilder AddService<TContract>(Func<IServiceProvider, TContract> factory) where TContract : class;

    /// <summary>Serves a hand-built <see cref="ServiceDefinition"/>.</summary>
    IMeshworkServerBuilder AddServiceDefinition(ServiceDefinition definition);

    /// <summary>Serves the definition <paramref name="factory"/> builds (called once, with the container).</summary>
    IMeshworkServerBuilder AddServiceDefinition(Func<IServiceProvider, ServiceDefinition> factory);

    /// <summary>
    /// Adds middleware resolved from the container (registered as a singleton unless you registered it). Middleware runs
    /// in the order it is added, the first outermost.
    /// </summary>
    IMeshworkServerBuilder UseMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMiddleware>()
        where TMiddleware : class, IServerMiddleware;

    /// <summary>Adds a middleware instance (same ordering as <see cref="UseMiddleware{TMiddleware}"/>).</summary>
    IMeshworkServerBuilder UseMiddleware(IServerMiddleware middleware);
}
