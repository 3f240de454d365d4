using Meshwork.Discovery;

namespace Meshwork.Governance.Server;

/// <summary>What a server announces about each of its services.</summary>
public sealed class ServiceAnnouncement
{
    /// <summary>Address clients should dial. Default null: the server's first bound endpoint (right unless behind NAT or bound to 0.0.0.0).</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>Version of the implementation. Default 0.0.0.</summary>
    public SemanticVersion Version { get; set; }

    /// <summary>Relative capacity. Default 100.</summary>
    public int Weight { get; set; } = 100;

    /// <summary>Availability zone. Default null.</summary>
    public string? Zone { get; set; }

    /// <summary>Routing tags. Default none.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Free-form metadata. Default none.</summary>
    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The services to announce, by name. Default null: every service the server hosts (minus <see cref="Exclude"/>).
    /// Naming a service the server does not host fails the start, so a typo cannot silently hide a service.
    /// </summary>
    public HashSet<string>? Services { get; set; }

    /// <summary>Services not to announce (for example infrastructure endpoints). Default: the gossip directory and the health service.</summary>
    public HashSet<string> Exclude { get; set; } = new(StringComparer.Ordinal) { "meshwork.discovery", HealthService.ServiceName };

    /// <summary>
    /// Drain step 2: how long to keep serving after deregistering, so that every client sees the change before
    /// the go-away. Default 2 s: several gossip rounds on a LAN; raise it for large clusters or
    /// registries with slow watches.
    /// </summary>
    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Weight <= 0) throw new ArgumentException($"ServiceAnnouncement.Weight must be positive, not {Weight}");
        if (PropagationDelay < TimeSpan.Zero) throw new ArgumentException("ServiceAnnouncement.PropagationDelay cannot be negative");
    }
}
