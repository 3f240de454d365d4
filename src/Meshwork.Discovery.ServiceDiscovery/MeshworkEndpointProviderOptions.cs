namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>Settings of <see cref="MeshworkServiceEndpointProviderFactory"/>. Every setting has a default; <see cref="Validate"/> checks them.</summary>
public sealed class MeshworkEndpointProviderOptions
{
    /// <summary>
    /// The service names this provider answers for (case-insensitive). Default empty: every name, which suits clients
    /// whose service-discovery HttpClients all call Meshwork services. List names to let other providers (configuration,
    /// pass-through) handle the rest.
    /// </summary>
    public ISet<string> Services { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a service with no healthy instance adds no endpoint and leaves the name to the providers after this
    /// one (the pass-through provider would then call the bare host name). Default false: the request fails at once
    /// with an error naming the service and the registry, which is what a caller of a Meshwork service needs to see.
    /// </summary>
    public bool AllowFallThrough { get; set; }

    /// <summary>
    /// How long the first resolve of a service waits for the registry's first instance set. Default 10 s: longer than
    /// a registry needs to answer, shorter than a typical HTTP timeout, so a dead registry is reported as such.
    /// </summary>
    public TimeSpan FirstResolveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before re-opening a failed registry watch (doubled up to <see cref="ReconnectMax"/>, jittered). Default 200 ms.</summary>
    public TimeSpan ReconnectInitial { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between watch reconnects. Default 10 s: a registry outage costs at most a few requests per 10 s.</summary>
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        foreach (var s in Services)
        {
            if (string.IsNullOrWhiteSpace(s)) throw new ArgumentException("MeshworkEndpointProviderOptions.Services must not contain an empty name");
        }
        if (FirstResolveTimeout <= TimeSpan.Zero) throw new ArgumentException($"MeshworkEndpointProviderOptions.FirstResolveTimeout {FirstResolveTimeout} must be positive");
        if (ReconnectInitial <= TimeSpan.Zero) throw new ArgumentException($"MeshworkEndpointProviderOptions.ReconnectInitial {ReconnectInitial} must be positive");
        if (ReconnectMax < ReconnectInitial) throw new ArgumentException($"MeshworkEndpointProviderOptions.ReconnectMax {ReconnectMax} must be at least ReconnectInitial {ReconnectInitial}");
    }
}
