namespace Meshwork.Governance.Balancing;

/// <summary>
/// Consistent hashing with virtual nodes: each endpoint owns <see cref="VirtualNodes"/> × weight/100 points on a
/// 64-bit ring and a key goes to the first point at or after its hash. When an endpoint joins or leaves, only the
/// keys it owns move (about 1/n of them), which keeps per-key caches warm. Calls without a key are spread at random.
/// </summary>
public sealed class ConsistentHashBalancer : ILoadBalancer
{
    /// <summary>Creates the balancer; <paramref name="virtualNodes"/> points per endpoint of weight 100.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not between 1 and 10000.</exception>
    public ConsistentHashBalancer(int virtualNodes = DefaultVirtualNodes)
    {
        if (virtualNodes is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(virtualNodes), virtualNodes, "virtual nodes per endpoint must be between 1 and 10000");
        VirtualNodes = virtualNodes;
    }

    /// <summary>Default points per endpoint: 160 (as ketama) keeps the load spread within a few percent for ten endpoints, with a ring small enough for the cache.</summary>
    public const int DefaultVirtualNodes = 160;

    /// <summary>Points per endpoint of weight 100.</summary>
    public int VirtualNodes { get; }

    /// <inheritdoc />
    public string Name => "consistent-hash";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints)
    {
        var points = new List<(ulong Hash, InstanceEndpoint Endpoint)>();
        foreach (var e in endpoints)
        {
            int count = (int)Math.Clamp((long)VirtualNodes * e.Instance.Weight / 100, 1, VirtualNodes * 10L);
            for (int i = 0; i < count; i++)
            {
                // Points derive from the instance id, not its position, so every client builds the same ring.
                points.Add((KeyHash.Hash($"{e.Instance.Id}#{i}"), e));
            }
        }
        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        return new Picker(points.Select(p => p.Hash).ToArray(), points.Select(p => p.Endpoint).ToArray());
    }

    private sealed class Picker(ulong[] hashes, InstanceEndpoint[] owners) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context)
        {
            if (context.HashKey is not { } key) return owners[Random.Shared.Next(owners.Length)];
            ulong h = KeyHash.Hash(key);
            int i = Array.BinarySearch(hashes, h);
            if (i < 0) i = ~i;
            if (i == hashes.Length) i = 0;
            return owners[i];
        }
    }
}

/// <summary>
/// Modulo hashing: the key's hash modulo the number of endpoints (ordered by instance id, so all clients agree).
/// Cheaper than a ring and perfectly even, but when the set changes almost every key moves; prefer consistent
/// hashing unless the set is fixed. Calls without a key are spread at random.
/// </summary>
public sealed class ModuloHashBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "modulo-hash";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) =>
        new Picker(endpoints.OrderBy(e => e.Instance.Id, StringComparer.Ordinal).ToArray());

    private sealed class Picker(InstanceEndpoint[] endpoints) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context) => context.HashKey is { } key
            ? endpoints[(int)(KeyHash.Hash(key) % (ulong)endpoints.Length)]
            : endpoints[Random.Shared.Next(endpoints.Length)];
    }
}
