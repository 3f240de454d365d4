using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Configuration;

/// <summary>A YAML file as a configuration source. Created by <see cref="YamlConfigurationExtensions.AddYamlFile(IConfigurationBuilder, string)"/>.</summary>
public sealed class YamlConfigurationSource : FileConfigurationSource
{
    /// <summary>Creates the provider, resolving the file provider from <paramref name="builder"/> when none was set.</summary>
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new YamlConfigurationProvider(this);
    }
}
