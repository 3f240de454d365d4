using Meshwork.Discovery;
using Microsoft.Extensions.Configuration;
using static Meshwork.Discovery.ConfigurationValues;

namespace Meshwork.Governance.Configuration;

/// <summary>The <c>Application</c> section: who this process is. Its version and zone are what its server announces unless the <c>Server</c> section says otherwise.</summary>
public sealed class ApplicationOptions
{
    /// <summary>Application name, for logs and as the default gossip node name prefix. Default: the entry assembly's name.</summary>
    public string Name { get; set; } = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "meshwork";

    /// <summary>Version of the application, announced for its services. Default 0.0.0.</summary>
    public SemanticVersion Version { get; set; }

    /// <summary>Availability zone this process runs in: announced for its services and preferred by its client. Default null (no zone).</summary>
    public string? Zone { get; set; }

    /// <summary>Reads <c>Name</c>, <c>Version</c> and <c>Zone</c>.</summary>
    /// <exception cref="DiscoveryConfigurationException">The version is not a semantic version; the message names the key.</exception>
    public static ApplicationOptions Read(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new ApplicationOptions();
        if (Get(section, "Name") is { } name) options.Name = name.Value;
        if (Get(section, "Version") is { } version) options.Version = ConfigurationValues.Version(version);
        if (Get(section, "Zone") is { } zone) options.Zone = zone.Value;
        return options;
    }
}
