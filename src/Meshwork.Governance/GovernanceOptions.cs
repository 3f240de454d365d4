using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Routing;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance;

/// <summary>Settings of <see cref="GovernedCallInvoker"/>: client defaults plus per-service and per-method policies.</summary>
public sealed class GovernanceOptions
{
    /// <summary>Template for the per-instance channels (timeouts, TLS, middleware). Default: the RPC client defaults.</summary>
    public RpcClientOptions Client { get; set; } = new();

    /// <summary>Policy for services without an entry in <see cref="Services"/>.</summary>
    public ServicePolicy Defaults { get; set; } = new();

    /// <summary>Per-service policies, by service name.</summary>
    public Dictionary<string, ServicePolicy> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>RTT source for the "nearest" balancer (for example <c>GossipServiceRegistry.RttEstimator</c>). Default null.</summary>
    public IRttEstimator? RttEstimator { get; set; }

    /// <summary>
    /// How long the first call to a service waits for the registry's first answer. Default 5 s: long enough for a
    /// gossip join to converge, short enough that a missing registry surfaces as an error at start.
    /// </summary>
    public TimeSpan ResolveTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Metadata key of a <see cref="ServiceInstance"/> naming the protocol the instance speaks (TARS instances carry <c>protocol=tars</c>).</summary>
    public const string ProtocolMetadataKey = "protocol";

    /// <summary>The <see cref="ProtocolMetadataKey"/> value of Meshwork's native protocol; instances without the key speak it too.</summary>
    public const string NativeProtocol = "meshwork";

    /// <summary>
    /// Invoker factories by protocol (the instance's <see cref="ProtocolMetadataKey"/> metadata, compared ignoring
    /// case), for instances that do not speak Meshwork's native protocol; e.g. <c>"tars"</c> → Meshwork.Tars'
    /// <c>TarsInstanceInvokerFactory</c>. Default empty: every instance gets a native <see cref="RpcChannel"/> built from
    /// <see cref="Client"/>, and an instance naming a protocol listed nowhere gets an invoker whose calls fail with
    /// Unavailable saying so (sending it native frames would only produce decode errors on both sides).
    /// </summary>
    public Dictionary<string, IInstanceInvokerFactory> InstanceInvokers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy for <paramref name="service"/>.</summary>
    public ServicePolicy For(string service) => Services.GetValueOrDefault(service) ?? Defaults;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Client.Validate();
        if (ResolveTimeout <= TimeSpan.Zero) throw new ArgumentException("GovernanceOptions.ResolveTimeout must be positive");
        foreach (var (protocol, factory) in InstanceInvokers)
        {
            if (string.IsNullOrWhiteSpace(protocol)) throw new ArgumentException("GovernanceOptions.InstanceInvokers: a protocol name cannot be empty");
            if (string.Equals(protocol, NativeProtocol, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"GovernanceOptions.InstanceInvokers[{protocol}]: the native protocol always uses Meshwork's own channel");
            if (factory is null) throw new ArgumentException($"GovernanceOptions.InstanceInvokers[{protocol}] is null");
        }
        Defaults.Validate("GovernanceOptions.Defaults", RttEstimator);
        foreach (var (name, policy) in Services) policy.Validate($"GovernanceOptions.Services[{name}]", RttEstimator);
        var codecs = GovernanceConfiguration.KnownCodecs(Client);
        foreach (var (where, policy) in Services.Select(s => ($"GovernanceOptions.Services[{s.Key}]", s.Value)).Append(("GovernanceOptions.Defaults", Defaults)))
        {
            if (policy.Codec is { } codec && !codecs.Contains(codec, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"{where}.Codec: unknown codec '{codec}'; known: {string.Join(", ", codecs)}");
            }
            foreach (var (method, call) in policy.Methods.Append(new("Calls", policy.Calls)))
            {
                if (call.Codec is { } methodCodec && !codecs.Contains(methodCodec, StringComparer.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"{where}.Methods[{method}].Codec: unknown codec '{methodCodec}'; known: {string.Join(", ", codecs)}");
                }
            }
        }
    }
}

/// <summary>Routing, balancing and resilience of one service.</summary>
public sealed class ServicePolicy
{
    /// <summary>Which instances may be called. Default: any healthy instance.</summary>
    public RouteOptions Route { get; set; } = new();

    /// <summary>Balancer name (see <see cref="Balancers.Names"/>). Default "p2c": adapts to slow and overloaded instances without configuration.</summary>
    public string Balancer { get; set; } = "p2c";

    /// <summary>Virtual nodes per endpoint for "consistent-hash". Default 160.</summary>
    public int VirtualNodes { get; set; } = ConsistentHashBalancer.DefaultVirtualNodes;

    /// <summary>Resilience of calls without a method entry.</summary>
    public CallPolicy Calls { get; set; } = new();

    /// <summary>Per-method policies, by method name (as in <c>Method.Name</c>).</summary>
    public Dictionary<string, CallPolicy> Methods { get; } = new(StringComparer.Ordinal);

    /// <summary>Share of extra load retries and hedges may add. Default 0.1 (10 %).</summary>
    public double RetryBudgetRatio { get; set; } = RetryBudget.DefaultRatio;

    /// <summary>Retries available before any deposit. Default 10.</summary>
    public int RetryBudgetReserve { get; set; } = RetryBudget.DefaultReserve;

    /// <summary>Per-instance circuit breaker. Default: on, with <see cref="CircuitBreakerOptions"/>' defaults; null turns it off.</summary>
    public CircuitBreakerOptions? CircuitBreaker { get; set; } = new();

    /// <summary>Client-side rate limit of calls to this service. Default null (none): limits are a capacity decision only the owner can make.</summary>
    public RateLimitOptions? RateLimit { get; set; }

    /// <summary>
    /// Bulkhead: most calls to this service in flight from this client; more fail at once with ResourceExhausted,
    /// so one slow dependency cannot take every caller thread and connection slot. Default null (unbounded): the
    /// RPC core already bounds streams per connection, and the right size is a capacity decision.
    /// </summary>
    public int? MaxConcurrentCalls { get; set; }

    /// <summary>
    /// Serializer of this service's calls, by name ("msgpack", "protobuf", or any registered in the client
    /// template's serializers). Default null: the template's default (MessagePack). Both ends must know it; the
    /// server answers in the codec of the request.
    /// </summary>
    public string? Codec { get; set; }

    /// <summary>Smallest accepted <see cref="MaxMessageSize"/>: 64 KiB, so a frame still holds a useful message.</summary>
    public const int MinMessageSize = 64 * 1024;

    /// <summary>Largest message this service's channels send or accept (frames shrink to match). Default null: the client template's (64 MiB).</summary>
    public int? MaxMessageSize { get; set; }

    /// <summary>Connect timeout of this service's channels. Default null: the client template's.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>
    /// Connections per instance in this service's own pool. Each service has its own channels, so one service's
    /// slow calls never hold another's connections. Default null: the client template's ConnectionsPerEndpoint.
    /// </summary>
    public int? ConnectionsPerInstance { get; set; }

    /// <summary>The policy for method <paramref name="method"/>.</summary>
    public CallPolicy For(string method) => Methods.GetValueOrDefault(method) ?? Calls;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting, prefixed by <paramref name="where"/>.</summary>
    public void Validate(string where, IRttEstimator? rtt)
    {
        try
        {
            Balancers.Create(Balancer, rtt, VirtualNodes);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{where}.Balancer: {e.Message}", e);
        }
        if (RetryBudgetRatio is < 0 or > 1 || double.IsNaN(RetryBudgetRatio)) throw new ArgumentException($"{where}.RetryBudgetRatio must be between 0 and 1");
        if (MaxConcurrentCalls is < 1) throw new ArgumentException($"{where}.MaxConcurrentCalls must be at least 1");
        if (RetryBudgetReserve < 0) throw new ArgumentException($"{where}.RetryBudgetReserve cannot be negative");
        if (MaxMessageSize is < MinMessageSize) throw new ArgumentException($"{where}.MaxMessageSize must be at least {MinMessageSize} bytes");
        if (ConnectTimeout is { } connect && connect <= TimeSpan.Zero) throw new ArgumentException($"{where}.ConnectTimeout must be positive");
        if (ConnectionsPerInstance is < 1 or > 64) throw new ArgumentException($"{where}.ConnectionsPerInstance must be between 1 and 64");
        Calls.Validate(where + ".Calls");
        CircuitBreaker?.Validate(where + ".CircuitBreaker");
        RateLimit?.Validate(where + ".RateLimit");
        foreach (var (name, policy) in Methods) policy.Validate($"{where}.Methods[{name}]");
    }
}
