using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Meshwork.Hosting.Configuration;

/// <summary>
/// Flattens a YAML document into configuration keys, the same shape the JSON provider produces:
/// <list type="bullet">
/// <item>mapping keys are joined with <c>:</c> (<c>Meshwork:Server:MaxFrameSize</c>);</item>
/// <item>sequence items become <c>:0</c>, <c>:1</c>, … so they bind to lists and arrays;</item>
/// <item>scalars keep their text exactly (quoting only matters to YAML, not to the binder);</item>
/// <item><c>~</c>, <c>null</c> and an empty plain value become an empty string, so the key exists and binds as "no value";</item>
/// <item>an empty mapping or sequence (<c>{}</c>, <c>[]</c>) becomes a key with a null value, like the JSON provider;</item>
/// <item>anchors, aliases and merge keys (<c>&lt;&lt;: *base</c>) are resolved.</item>
/// </list>
/// Keys are case-insensitive, as everywhere in Microsoft.Extensions.Configuration; a key that appears twice is an error.
/// </summary>
internal sealed class YamlConfigurationParser
{
    private readonly Dictionary<string, string?> _data = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _source;

    private YamlConfigurationParser(string source) => _source = source;

    /// <summary>Parses <paramref name="input"/>; <paramref name="source"/> names the file in error messages.</summary>
    /// <exception cref="FormatException">The YAML is malformed or cannot be mapped to configuration; the message names the file, line and column.</exception>
    public static Dictionary<string, string?> Parse(Stream input, string source)
    {
        ArgumentNullException.ThrowIfNull(input);
        var parser = new YamlConfigurationParser(source);
        using var reader = new StreamReader(input, detectEncodingFromByteOrderMarks: true);
        var stream = new YamlStream();
        try
        {
            stream.Load(new MergingParser(new Parser(reader)));
        }
        catch (YamlException ex)
        {
            throw parser.Error(ex.Start, Clean(ex.Message), ex);
        }
        if (stream.Documents.Count > 1)
        {
            throw parser.Error(stream.Documents[1].RootNode.Start, "only one YAML document is supported per configuration file (found a second '---' document)");
        }
        if (stream.Documents.Count == 1) parser.Visit(stream.Documents[0].RootNode, prefix: null);
        return parser._data;
    }

    private void Visit(YamlNode node, string? prefix)
    {
        switch (node)
        {
            case YamlMappingNode map:
                VisitMapping(map, prefix);
                break;
            case YamlSequenceNode sequence:
                VisitSequence(sequence, prefix);
                break;
            case YamlScalarNode scalar:
                if (prefix is null)
                {
                    if (IsNull(scalar)) return; // an empty document
                    throw Error(scalar.Start, "the document root must be a mapping (key: value), not a single value");
                }
                Set(prefix, IsNull(scalar) ? string.Empty : scalar.Value ?? string.Empty, scalar.Start);
                break;
            default:
                throw Error(node.Start, $"unsupported YAML node {node.NodeType}");
        }
    }

    private void VisitMapping(YamlMappingNode map, string? prefix)
    {
        if (map.Children.Count == 0)
        {
            if (prefix is not null) Set(prefix, null, map.Start);
            return;
        }
        var seen = new Dictionary<string, Mark>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                throw Error(keyNode.Start, "mapping keys must be non-empty plain values (a key that is a list, a mapping or empty cannot name a setting)");
            }
            if (seen.TryGetValue(key, out var first))
            {
                throw Error(keyNode.Start, $"key '{key}' appears twice in the same mapping (first at line {first.Line}); configuration keys are case-insensitive");
            }
            seen.Add(key, keyNode.Start);
            Visit(value, prefix is null ? key : prefix + ConfigurationPathSeparator + key);
        }
    }

    private void VisitSequence(YamlSequenceNode sequence, string? prefix)
    {
        if (prefix is null) throw Error(sequence.Start, "the document root must be a mapping (key: value), not a list");
        if (sequence.Children.Count == 0)
        {
            Set(prefix, null, sequence.Start);
            return;
        }
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            Visit(sequence.Children[i], prefix + ConfigurationPathSeparator + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private void Set(string key, string? value, Mark at)
    {
        if (!_data.TryAdd(key, value))
        {
            throw Error(at, $"key '{key}' is defined twice (for example once nested and once as a 'parent:child' key)");
        }
    }

    private const string ConfigurationPathSeparator = ":";

    /// <summary>YAML 1.2 core-schema nulls, written plainly (a quoted "null" is the string null).</summary>
    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any &&
        scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private FormatException Error(Mark at, string message, Exception? inner = null) =>
        new($"YAML configuration '{_source}', line {at.Line}, column {at.Column}: {message}", inner);

    /// <summary>YamlDotNet prefixes messages with "(Line: 1, Col: 2, Idx: 3) - (...): "; we report the position ourselves.</summary>
    private static string Clean(string message)
    {
        int marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0 ? message[(marker + 3)..] : message;
    }
}
