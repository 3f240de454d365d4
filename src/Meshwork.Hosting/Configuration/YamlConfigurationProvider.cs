using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Configuration;

/// <summary>
/// Loads a YAML file into configuration (see <see cref="YamlConfigurationParser"/> for the flattening rules).
/// Errors name the file, line and column; the base class wraps them in <see cref="InvalidDataException"/>.
/// </summary>
public sealed class YamlConfigurationProvider : FileConfigurationProvider
{
    public YamlConfigurationProvider(YamlConfigurationSource source) : base(source)
    {
    }

    public override void Load(Stream stream)
    {
        string display = Source.FileProvider?.GetFileInfo(Source.Path ?? string.Empty)?.PhysicalPath ?? Source.Path ?? "<yaml>";
        Data = YamlConfigurationParser.Parse(stream, display);
    }
}
