using System.Collections.Concurrent;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc;

/// <summary>
/// Maps contract interfaces to their generated proxy and dispatcher without reflection. Generated code registers
/// each <c>[RpcService]</c> interface from a module initializer; hosting and tools look contracts up here.
/// </summary>
public static class RpcContracts
{
    private static readonly ConcurrentDictionary<Type, Registration> s_registrations = new();

    private sealed record Registration(string ServiceName, Func<CallInvoker, object> CreateClient, Func<object, ServiceDefinition> Bind, Delegate? BindPerCall);

    /// <summary>Registers a contract (generated code does this; hand-written contracts may too).</summary>
    public static void Register<TService>(string serviceName, Func<CallInvoker, TService> createClient, Func<TService, ServiceDefinition> bind)
        where TService : class
    {
        s_registrations[typeof(TService)] = new Registration(serviceName, invoker => createClient(invoker), impl => bind((TService)impl), null);
    }

    /// <summary>Registers a contract whose dispatcher can also ask a factory for an implementation on every call.</summary>
    public static void Register<TService>(string serviceName, Func<CallInvoker, TService> createClient, Func<TService, ServiceDefinition> bind,
        Func<Func<ServerCallContext, TService>, ServiceDefinition> bindPerCall)
        where TService : class
    {
        s_registrations[typeof(TService)] = new Registration(serviceName, invoker => createClient(invoker), impl => bind((TService)impl), bindPerCall);
    }

    /// <summary>
    /// The service definition that asks <paramref name="factory"/> for an implementation on every call, for per-call or
    /// scoped instances (register cleanup with <see cref="ServerCallContext.RegisterForDispose(IAsyncDisposable)"/>).
    /// </summary>
    public static ServiceDefinition BindPerCall<TService>(Func<ServerCallContext, TService> factory) where TService : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        var registration = Get(typeof(TService));
        if (registration.BindPerCall is not Func<Func<ServerCallContext, TService>, ServiceDefinition> bind)
        {
            throw new InvalidOperationException($"{typeof(TService).FullName} was registered without a per-call binder; regenerate it with the current Meshwork.Rpc.Generators");
        }
        return bind(factory);
    }

    /// <summary>A typed client for <typeparamref name="TService"/> over <paramref name="invoker"/>.</summary>
    public static TService CreateClient<TService>(CallInvoker invoker) where TService : class =>
        (TService)Get(typeof(TService)).CreateClient(invoker);

    /// <summary>The service definition that routes calls to <paramref name="implementation"/>.</summary>
    public static ServiceDefinition Bind<TService>(TService implementation) where TService : class =>
        Get(typeof(TService)).Bind(implementation);

    /// <summary>The wire name of the service contract <typeparamref name="TService"/>.</summary>
    public static string ServiceName<TService>() => Get(typeof(TService)).ServiceName;

    /// <summary>True when <paramref name="contract"/> was registered (generated code does so when its assembly loads).</summary>
    public static bool IsRegistered(Type contract) => s_registrations.ContainsKey(contract);

    private static Registration Get(Type contract) => s_registrations.TryGetValue(contract, out var r)
        ? r
        : throw new InvalidOperationException(
            $"{contract.FullName} is not a generated Meshwork contract: mark it [RpcService] and reference Meshwork.Rpc.Generators as an analyzer");
}
