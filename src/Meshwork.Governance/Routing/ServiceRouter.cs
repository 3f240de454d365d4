using Meshwork.Discovery;

namespace Meshwork.Governance.Routing;

/// <summary>
/// Filters a service's instances before balancing: healthy only, version within the range, every required tag
/// and metadata value present, then zone preference (only the preferred zone when it has any eligible instance,
/// otherwise all zones, so a zone outage degrades to cross-zone calls instead of failures).
/// </summary>
public static class ServiceRouter
{
    /// <summary>The instances of <paramref name="instances"/> that <paramref name="route"/> admits, preferred zone first.</summary>
    public static List<ServiceInstance> Filter(IReadOnlyList<ServiceInstance> instances, RouteOptions route)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(route);
        var eligible = new List<ServiceInstance>(instances.Count);
        foreach (var i in instances)
        {
            if (i.Health != InstanceHealth.Healthy) continue;
            if (route.Version is { } range && !range.Contains(i.Version)) continue;
            if (!Matches(i.Tags, route.Tags) || !Matches(i.Metadata, route.Metadata)) continue;
            eligible.Add(i);
        }
        if (route.PreferredZone is { } zone)
        {
            var local = eligible.FindAll(i => i.Zone == zone);
            if (local.Count > 0) return local;
        }
        return eligible;
    }

    private static bool Matches(IReadOnlyDictionary<string, string> have, IReadOnlyDictionary<string, string> want)
    {
        foreach (var (k, v) in want)
        {
            if (!have.TryGetValue(k, out var actual) || actual != v) return false;
        }
        return true;
    }

    /// <summary>Explains why nothing matched, for the Unavailable error a caller sees.</summary>
    public static string Explain(string service, IReadOnlyList<ServiceInstance> instances, RouteOptions route)
    {
        if (instances.Count == 0) return $"no instance of service '{service}' is registered";
        int healthy = instances.Count(i => i.Health == InstanceHealth.Healthy);
        return $"none of the {instances.Count} instances of service '{service}' ({healthy} healthy, versions {string.Join(", ", instances.Select(i => i.Version).Distinct())}) matches the route {route}";
    }
}

/// <summary>Which instances of a service a client may call.</summary>
public sealed class RouteOptions
{
    /// <summary>Admitted versions; null admits any (the default, so that an unversioned deployment just works).</summary>
    public VersionRange? Version { get; set; }

    /// <summary>Tags an instance must carry with these values (for example <c>idc=lf</c>). Default none.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Metadata an instance must carry with these values. Default none.</summary>
    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Zone to prefer; null (the default) treats all zones alike.</summary>
    public string? PreferredZone { get; set; }

    /// <summary>The route in words: <c>version &gt;=1.2 &lt;2, tags idc=lf, zone a</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Version is not null) parts.Add("version " + Version);
        if (Tags.Count > 0) parts.Add("tags " + string.Join(",", Tags.Select(t => t.Key + "=" + t.Value)));
        if (Metadata.Count > 0) parts.Add("metadata " + string.Join(",", Metadata.Select(t => t.Key + "=" + t.Value)));
        if (PreferredZone is not null) parts.Add("preferred zone " + PreferredZone);
        return parts.Count == 0 ? "(any healthy instance)" : string.Join(", ", parts);
    }
}
