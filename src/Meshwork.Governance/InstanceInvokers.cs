using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance;

/// <summary>
/// Builds the <see cref="CallInvoker"/> that a <see cref="GovernedCallInvoker"/> sends one instance's calls through,
/// for instances that do not speak Meshwork's native protocol (see <see cref="GovernanceOptions.InstanceInvokers"/>).
/// Balancing, fail modes, breakers, budgets, deadlines and client middleware stay in the governed invoker and apply to
/// every such instance unchanged.
/// </summary>
public interface IInstanceInvokerFactory
{
    /// <summary>
    /// The invoker for <see cref="InstanceInvokerContext.Instance"/>. Called once per instance (and again when its address
    /// changes); an invoker that is <see cref="IAsyncDisposable"/> is disposed once the instance leaves the route and its
    /// calls in flight have finished. Must not block: connections open on the first call.
    /// </summary>
    /// <param name="context">The instance, its service's policy and the client template.</param>
    /// <returns>The invoker. To refuse an instance, return an invoker whose calls fail with a clear <see cref="RpcException"/>.</returns>
    CallInvoker Create(InstanceInvokerContext context);
}

/// <summary>What an <see cref="IInstanceInvokerFactory"/> knows when it builds an instance's invoker.</summary>
public sealed class InstanceInvokerContext
{
    internal InstanceInvokerContext(string service, ServiceInstance instance, ServicePolicy policy, RpcClientOptions client, IReadOnlyList<IClientMiddleware> middleware)
    {
        Service = service;
        Instance = instance;
        Policy = policy;
        Client = client;
        Middleware = middleware;
    }

    /// <summary>The service name the governed calls address (for TARS, the object name).</summary>
    public string Service { get; }

    /// <summary>The instance the invoker sends to.</summary>
    public ServiceInstance Instance { get; }

    /// <summary>The service's policy (connect timeout, message size and connections per instance apply to the invoker).</summary>
    public ServicePolicy Policy { get; }

    /// <summary>The client template of <see cref="GovernanceOptions.Client"/> (default timeout, logging).</summary>
    public RpcClientOptions Client { get; }

    /// <summary>
    /// Client middleware the invoker must run around every call, outermost first: a first entry that makes the
    /// instance visible to the others (<see cref="GovernedCall.GetServiceInstance"/>), then the template's middleware.
    /// Empty when the template has none.
    /// </summary>
    public IReadOnlyList<IClientMiddleware> Middleware { get; }
}

/// <summary>
/// An invoker for an instance that cannot be called (an unknown protocol, an address a factory cannot use): every call
/// fails with <see cref="StatusCode.Unavailable"/> and the reason, so that the route keeps the instance visible and
/// explained instead of the registry watch failing for the whole service.
/// </summary>
public sealed class RefusingCallInvoker : CallInvoker
{
    private readonly string _reason;

    /// <summary>Creates an invoker whose every call fails with <paramref name="reason"/>.</summary>
    public RefusingCallInvoker(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _reason = reason;
    }

    /// <summary>An invoker for an instance whose protocol no <see cref="GovernanceOptions.InstanceInvokers"/> entry handles.</summary>
    internal static RefusingCallInvoker UnknownProtocol(ServiceInstance instance, string protocol, IEnumerable<string> known) =>
        new($"instance {instance.Id} ({instance.Address}) speaks protocol '{protocol}', which no GovernanceOptions.InstanceInvokers entry handles"
            + $" (known: {string.Join(", ", known.Prepend(GovernanceOptions.NativeProtocol))})");

    private RpcException Refuse() => new(StatusCode.Unavailable, _reason);

    /// <inheritdoc/>
    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        ValueTask.FromException<TResponse>(Refuse());

    /// <inheritdoc/>
    public override ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default) =>
        ValueTask.FromException(Refuse());

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        throw Refuse();

    /// <inheritdoc/>
    public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        ValueTask.FromException<TResponse>(Refuse());

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        throw Refuse();
}
