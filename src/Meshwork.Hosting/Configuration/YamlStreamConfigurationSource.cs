using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Configuration;

/// <summary>YAML read once from a stream (embedded resources, tests). Created by <see cref="YamlConfigurationExtensions.AddYamlStream"/>.</summary>
public sealed class YamlStreamConfigurationSource : StreamConfigurationSource
{
    /// <summary>Creates the provider that reads <see cref="StreamConfigurationSource.Stream"/> once.</summary>
    public override IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlStreamConfigurationProvider(this);
}

/// <summary>Loads YAML from <see cref="StreamConfigurationSource.Stream"/>.</summary>
public sealed class YamlStreamConfigurationProvider : StreamConfigurationProvider
{
    /// <summary>Creates the provider for <paramref name="source"/>.</summary>
    public YamlStreamConfigurationProvider(YamlStreamConfigurationSource source) : base(source)
    {
    }

    /// <summary>Replaces the configuration data with the keys of the YAML document in <paramref name="stream"/>.</summary>
    /// <exception cref="FormatException">The YAML is malformed or has a shape configuration cannot hold; the message gives the line and column.</exception>
    public override void Load(Stream stream) => Data = YamlConfigurationParser.Parse(stream, "<stream>");
}
