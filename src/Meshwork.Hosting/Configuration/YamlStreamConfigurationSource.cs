using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Configuration;

/// <summary>YAML read once from a stream (embedded resources, tests). Created by <see cref="YamlConfigurationExtensions.AddYamlStream"/>.</summary>
public sealed class YamlStreamConfigurationSource : StreamConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlStreamConfigurationProvider(this);
}

/// <summary>Loads YAML from <see cref="StreamConfigurationSource.Stream"/>.</summary>
public sealed class YamlStreamConfigurationProvider : StreamConfigurationProvider
{
    public YamlStreamConfigurationProvider(YamlStreamConfigurationSource source) : base(source)
    {
    }

    public override void Load(Stream stream) => Data = YamlConfigurationParser.Parse(stream, "<stream>");
}
