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

    private sealed record Registration(string ServiceName, Func<CallInvoker, object> CreateClient, Func<object, ServiceDefinition> Bind);

    /// <summary>Called by generated code.</summary>
    public static void Register<TService>(string serviceName, Func<CallInvoker, TService> createClient, Func<TService, ServiceDefinition> bind)
        where TService : class
    {
        s_registrations[typeof(TService)] = new Registration(serviceName, invoker => createClient(invoker), impl => bind((TService)impl));
    }

    /// <summary>A typed client for <typeparamref name="TService"/> over <paramref name="invoker"/>.</summary>
    public static TService CreateClient<TService>(CallInvoker invoker) where TService : class =>
        (TService)Get(typeof(TService)).CreateClient(invoker);

    /// <summary>The service definition that routes calls to <paramref name="implementation"/>.</summary>
    public static ServiceDefinition Bind<TService>(TService implementation) where TService : class =>
        Get(typeof(TService)).Bind(implementation);

    public static string ServiceName<TService>() => Get(typeof(TService)).ServiceName;

    public static bool IsRegistered(Type contract) => s_registrations.ContainsKey(contract);

    private static Registration Get(Type contract) => s_registrations.TryGetValue(contract, out var r)
        ? r
        : throw new InvalidOperationException(
            $"{contract.FullName} is not a generated Meshwork contract: mark it [RpcService] and reference Meshwork.Rpc.Generators as an analyzer");
}
