namespace Meshwork.Governance.Balancing;

/// <summary>What a pick may use besides the endpoints: the request's hash key for hash-based balancers.</summary>
public readonly struct PickContext
{
    /// <summary>Creates a context with a hash key (null: none).</summary>
    public PickContext(string? hashKey) => HashKey = hashKey;

    /// <summary>Key for consistent and modulo hashing (from an argument or a header); null when the call has none.</summary>
    public string? HashKey { get; }
}

/// <summary>
/// A load-balancing strategy, split like grpc-dotnet's balancer and picker: the balancer builds an immutable picker
/// for each new endpoint set (precomputing rings or weights), and the picker chooses per call, thread-safe.
/// </summary>
public interface ILoadBalancer
{
    /// <summary>Short name, as used in configuration.</summary>
    string Name { get; }

    /// <summary>Builds a picker over <paramref name="endpoints"/> (never empty).</summary>
    IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints);
}

/// <summary>Chooses one endpoint per call. Must be thread-safe and should not allocate.</summary>
public interface IPicker
{
    /// <summary>Chooses an endpoint.</summary>
    InstanceEndpoint Pick(in PickContext context);
}
