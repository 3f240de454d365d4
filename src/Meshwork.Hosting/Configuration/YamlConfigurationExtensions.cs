using Meshwork.Hosting.Configuration;
using Microsoft.Extensions.FileProviders;

// Same namespace as AddJsonFile so the extension is found without an extra using.
namespace Microsoft.Extensions.Configuration;

/// <summary>Adds YAML files and streams to an <see cref="IConfigurationBuilder"/>.</summary>
public static class YamlConfigurationExtensions
{
    /// <summary>Adds a required YAML file, relative to the builder's base path.</summary>
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, string path) =>
        AddYamlFile(builder, provider: null, path, optional: false, reloadOnChange: false);

    /// <summary>Adds a YAML file; an optional file that does not exist adds nothing.</summary>
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, string path, bool optional) =>
        AddYamlFile(builder, provider: null, path, optional, reloadOnChange: false);

    /// <summary>Adds a YAML file; with <paramref name="reloadOnChange"/> the configuration reloads when the file changes.</summary>
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, string path, bool optional, bool reloadOnChange) =>
        AddYamlFile(builder, provider: null, path, optional, reloadOnChange);

    /// <summary>Adds a YAML file read through <paramref name="provider"/> (null: a physical provider rooted at the file's directory).</summary>
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, IFileProvider? provider, string path, bool optional, bool reloadOnChange)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return builder.AddYamlFile(source =>
        {
            source.FileProvider = provider;
            source.Path = path;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
            source.ResolveFileProvider();
        });
    }

    /// <summary>Adds a YAML file configured by <paramref name="configureSource"/>.</summary>
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, Action<YamlConfigurationSource>? configureSource) =>
        builder.Add(configureSource);

    /// <summary>Adds YAML read once from <paramref name="stream"/>.</summary>
    public static IConfigurationBuilder AddYamlStream(this IConfigurationBuilder builder, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stream);
        return builder.Add<YamlStreamConfigurationSource>(s => s.Stream = stream);
    }
}
