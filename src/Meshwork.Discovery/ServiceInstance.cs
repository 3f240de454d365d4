namespace Meshwork.Discovery;

/// <summary>Whether an instance should receive new calls.</summary>
public enum InstanceHealth
{
    /// <summary>Serving; eligible for new calls.</summary>
    Healthy = 0,

    /// <summary>Draining (deregistering or leaving): finishes its calls but gets no new ones.</summary>
    Draining = 1,

    /// <summary>Failing its health check or suspected by the membership layer: gets no calls.</summary>
    Unhealthy = 2,
}

/// <summary>
/// One instance of a service: where it listens and what routing needs to know about it. Immutable; a change is a
/// new record. <see cref="Id"/> identifies the instance across changes so that balancer statistics survive them.
/// </summary>
public sealed record ServiceInstance
{
    /// <summary>Creates an instance record; the name and address are required, everything else has a default.</summary>
    /// <exception cref="ArgumentException">The service name or address is empty, or the weight is not positive.</exception>
    public ServiceInstance(string service, string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        Service = service;
        Address = address;
    }

    /// <summary>Service name, as in <c>[RpcService("name")]</c>.</summary>
    public string Service { get; }

    /// <summary>RPC address (<c>host:port</c>, <c>tcp://host:port</c> or <c>unix:///path</c>).</summary>
    public string Address { get; }

    /// <summary>Stable identity across updates. Default <c>service@address</c>, which is unique per listener.</summary>
    public string Id
    {
        get => _id ?? Service + "@" + Address;
        init => _id = string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private readonly string? _id;

    /// <summary>Relative capacity for weighted balancers. Default 100 so that weights can be tuned down and up in percent.</summary>
    public int Weight
    {
        get => _weight;
        init
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(nameof(Weight), value, "an instance weight must be positive");
            _weight = value;
        }
    }

    private readonly int _weight = 100;

    /// <summary>The implementation's semantic version. Default 0.0.0, which only matches ranges that admit it.</summary>
    public SemanticVersion Version { get; init; } = SemanticVersion.Zero;

    /// <summary>Routing tags (for example <c>idc=lf</c>). Default empty.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = Empty;

    /// <summary>Free-form metadata (for example a hash key source). Default empty.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = Empty;

    /// <summary>Availability zone for zone preference; null when unknown.</summary>
    public string? Zone { get; init; }

    /// <summary>Health as reported by the registry. Default healthy.</summary>
    public InstanceHealth Health { get; init; }

    /// <summary>The membership node that hosts this instance (gossip registries fill it in; used for RTT estimates).</summary>
    public string? Node { get; init; }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(0);

    /// <summary>True when every field a router or balancer reads is equal (dictionaries compared by content).</summary>
    public bool SameAs(ServiceInstance? other) =>
        other is not null && Service == other.Service && Address == other.Address && Id == other.Id && Weight == other.Weight
        && Version == other.Version && Zone == other.Zone && Health == other.Health && Node == other.Node
        && SameMap(Tags, other.Tags) && SameMap(Metadata, other.Metadata);

    private static bool SameMap(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        if (a.Count != b.Count) return false;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var w) || w != v) return false;
        }
        return true;
    }

    /// <summary>Short form for logs and errors: <c>service@address (v1.2.3, zone)</c>.</summary>
    public override string ToString() => $"{Id} (v{Version}{(Zone is null ? "" : ", zone " + Zone)}{(Node is null ? "" : ", node " + Node)})";
}
