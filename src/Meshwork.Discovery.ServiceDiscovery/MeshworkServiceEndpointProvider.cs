using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ServiceDiscovery;

namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>
/// Fills the resolver's endpoint list for one query from the registry's current set of healthy instances, and hands
/// it the watch's change token so the resolver refreshes exactly when the set changes (no polling).
/// </summary>
internal sealed class MeshworkServiceEndpointProvider(
    ServiceEndpointQuery query,
    IServiceRegistry registry,
    MeshworkEndpointProviderOptions options,
    ILogger log) : IServiceEndpointProvider
{
    /// <summary>Metadata key an instance can carry to name the URI scheme it serves (<c>http</c>, <c>https</c>).</summary>
    public const string SchemeMetadataKey = "scheme";

    /// <summary>Metadata key naming the endpoint an instance serves, matched against <c>_endpoint.service</c> queries.</summary>
    public const string EndpointMetadataKey = "endpoint";

    private readonly RegistryWatch _watch = new(registry, query.ServiceName, options, log);

    public async ValueTask PopulateAsync(IServiceEndpointBuilder endpoints, CancellationToken cancellationToken)
    {
        var (instances, changed) = await _watch.CurrentAsync(cancellationToken).ConfigureAwait(false);
        endpoints.AddChangeToken(changed);
        var usable = new List<(ServiceInstance Instance, EndPoint EndPoint, string? Scheme)>(instances.Count);
        foreach (var instance in instances)
        {
            if (instance.Health != InstanceHealth.Healthy) continue;
            if (query.EndpointName is { } name && !(instance.Metadata.TryGetValue(EndpointMetadataKey, out var served) && string.Equals(served, name, StringComparison.OrdinalIgnoreCase))) continue;
            if (!TryEndPoint(instance, out var endPoint, out var scheme))
            {
                ServiceDiscoveryLog.AddressSkipped(log, instance.Id, query.ServiceName, instance.Address);
                continue;
            }
            usable.Add((instance, endPoint, scheme));
        }
        var chosen = ForSchemes(usable);
        foreach (var (instance, endPoint, _) in chosen)
        {
            var endpoint = ServiceEndpoint.Create(endPoint);
            // The record travels with the endpoint, so handlers and YARP transforms can read version, zone and tags.
            endpoint.Features.Set(instance);
            endpoint.Features.Set<IServiceEndpointProvider>(this);
            endpoints.Endpoints.Add(endpoint);
        }
        if (chosen.Count == 0 && !options.AllowFallThrough)
        {
            string which = query.EndpointName is null ? "" : $" serving endpoint '{query.EndpointName}'";
            string schemes = query.IncludedSchemes.Count == 0 ? "" : $" for scheme(s) {string.Join(", ", query.IncludedSchemes)}";
            throw new RegistryUnavailableException(registry.Name,
                $"service '{query.ServiceName}' has no healthy instance{which}{schemes} ({instances.Count} instance(s) known)");
        }
    }

    /// <summary>
    /// Instances whose scheme is known (from an <c>http://</c> / <c>https://</c> address or the <c>scheme</c>
    /// metadata) are kept only for the first of the query's schemes that any of them serves, as with
    /// <c>https+http://orders</c>; instances of unknown scheme are used with the scheme of the request.
    /// </summary>
    private List<(ServiceInstance Instance, EndPoint EndPoint, string? Scheme)> ForSchemes(List<(ServiceInstance Instance, EndPoint EndPoint, string? Scheme)> usable)
    {
        if (query.IncludedSchemes.Count == 0 || usable.TrueForAll(u => u.Scheme is null)) return usable;
        foreach (var scheme in query.IncludedSchemes)
        {
            var matching = usable.FindAll(u => u.Scheme is null || string.Equals(u.Scheme, scheme, StringComparison.OrdinalIgnoreCase));
            if (matching.Exists(u => u.Scheme is not null)) return matching;
        }
        return usable.FindAll(u => u.Scheme is null);
    }

    /// <summary>
    /// Maps a Meshwork address to something HttpClient can call: <c>host:port</c> and <c>tcp://host:port</c> become
    /// IP or DNS endpoints, <c>http(s)://host:port</c> becomes a URI endpoint carrying its scheme; <c>unix://</c>
    /// and anything else is skipped (the resolver's URI rewriting has no form for it).
    /// </summary>
    internal static bool TryEndPoint(ServiceInstance instance, out EndPoint endPoint, out string? scheme)
    {
        endPoint = null!;
        instance.Metadata.TryGetValue(SchemeMetadataKey, out scheme);
        var address = instance.Address;
        if (address.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Port <= 0) return false;
            if (uri.Scheme is "http" or "https")
            {
                scheme = uri.Scheme;
                endPoint = new UriEndPoint(new Uri($"{uri.Scheme}://{uri.Authority}"));
                return true;
            }
            if (uri.Scheme != "tcp") return false;
            address = uri.Authority;
        }
        if (scheme is not null) scheme = scheme.ToLowerInvariant();
        if (IPEndPoint.TryParse(address, out var ip) && ip.Port > 0)
        {
            endPoint = scheme is null ? ip : new UriEndPoint(new Uri($"{scheme}://{address}"));
            return true;
        }
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out int port) || port is < 1 or > 65535) return false;
        var host = address[..colon];
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown) return false;
        endPoint = scheme is null ? new DnsEndPoint(host, port) : new UriEndPoint(new Uri($"{scheme}://{host}:{port}"));
        return true;
    }

    public ValueTask DisposeAsync() => _watch.DisposeAsync();

    public override string ToString() => $"Meshwork ({registry.Name})";
}
