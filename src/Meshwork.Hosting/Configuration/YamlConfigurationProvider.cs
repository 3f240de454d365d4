using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Configuration;

/// <summary>
/// Loads a YAML file into configuration (see <see cref="YamlConfigurationParser"/> for the flattening rules).
/// Errors name the file, line and column; the base class wraps them in <see cref="InvalidDataException"/>.
/// </summary>
public sealed class YamlConfigurationProvider : FileConfigurationProvider
{
    /// <summary>Creates the provider for <paramref name="source"/> (the file, whether it is optional, reload on change).</summary>
    public YamlConfigurationProvider(YamlConfigurationSource source) : base(source)
    {
    }

    /// <summary>Replaces the configuration data with the keys of the YAML document in <paramref name="stream"/>.</summary>
    /// <exception cref="FormatException">The YAML is malformed or has a shape configuration cannot hold; the message names the file, line and column.</exception>
    public override void Load(Stream stream)
    {
        string display = Source.FileProvider?.GetFileInfo(Source.Path ?? string.Empty)?.PhysicalPath ?? Source.Path ?? "<yaml>";
        Data = YamlConfigurationParser.Parse(stream, display);
    }
}
