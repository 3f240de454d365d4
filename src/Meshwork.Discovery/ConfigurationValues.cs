using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery;

/// <summary>
/// Typed reads of single configuration values for registry providers and governance settings. Every read of a bad
/// value throws <see cref="DiscoveryConfigurationException"/> whose key is the value's full configuration path, so
/// one reader gives every provider the same error wording.
/// </summary>
public static class ConfigurationValues
{
    /// <summary>The key and value of <paramref name="key"/> under <paramref name="section"/>, or null when it is absent or blank.</summary>
    public static (string Key, string Value)? Get(IConfiguration section, string key)
    {
        ArgumentNullException.ThrowIfNull(section);
        var child = section.GetSection(key);
        return string.IsNullOrWhiteSpace(child.Value) ? null : (child.Path, child.Value.Trim());
    }

    /// <summary>An integer between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static int Int((string Key, string Value) entry, int min, int max) =>
        int.TryParse(entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not an integer between {min} and {max}");

    /// <summary>A finite number between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static double Double((string Key, string Value) entry, double min, double max) =>
        double.TryParse(entry.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not a number between {min} and {max}");

    /// <summary><c>true</c> or <c>false</c> (any case).</summary>
    public static bool Bool((string Key, string Value) entry) =>
        bool.TryParse(entry.Value, out var yes) ? yes : throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not true or false");

    /// <summary>A positive duration: <c>250ms</c>, <c>2s</c>, <c>1m</c>, <c>1h</c> or a TimeSpan (<c>00:00:02</c>).</summary>
    public static TimeSpan Duration((string Key, string Value) entry)
    {
        var text = entry.Value;
        TimeSpan value;
        bool ok;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)) ok = Number(text[..^2], 1e-3, out value);
        else if (text.EndsWith('s')) ok = Number(text[..^1], 1, out value);
        else if (text.EndsWith('m')) ok = Number(text[..^1], 60, out value);
        else if (text.EndsWith('h')) ok = Number(text[..^1], 3600, out value);
        else ok = TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        if (!ok || value <= TimeSpan.Zero) throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not a positive duration (examples: 250ms, 2s, 1m, 00:00:02)");
        return value;
    }

    /// <summary>A semantic version (<c>1.4.2</c>, <c>2.0.0-rc.1</c>).</summary>
    public static SemanticVersion Version((string Key, string Value) entry)
    {
        try
        {
            return SemanticVersion.Parse(entry.Value);
        }
        catch (FormatException e)
        {
            throw new DiscoveryConfigurationException(entry.Key, e.Message, e);
        }
    }

    /// <summary>A size in bytes: a plain number or one with a <c>k</c>, <c>m</c> or <c>g</c> suffix (binary units), between 1 and <paramref name="max"/>.</summary>
    public static int Size((string Key, string Value) entry, int max)
    {
        var text = entry.Value.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant().TrimEnd('b').TrimEnd('i');
        long unit = 1;
        if (text.Length > 0 && text[^1] is 'k' or 'm' or 'g')
        {
            unit = text[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, _ => 1L << 30 };
            text = text[..^1];
        }
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 && n * unit <= max
            ? (int)(n * unit)
            : throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not a size between 1 byte and {max} bytes (examples: 65536, 64k, 2m)");
    }

    /// <summary>An IP endpoint <c>address:port</c> (a bare address gets <paramref name="defaultPort"/>; port 0 means any free port).</summary>
    public static IPEndPoint EndPoint((string Key, string Value) entry, int defaultPort)
    {
        if (IPAddress.TryParse(entry.Value, out var bare)) return new IPEndPoint(bare, defaultPort);
        if (IPEndPoint.TryParse(entry.Value, out var endPoint)) return endPoint;
        if (entry.Value.StartsWith("localhost", StringComparison.OrdinalIgnoreCase))
        {
            var rest = entry.Value["localhost".Length..];
            if (rest.Length == 0) return new IPEndPoint(IPAddress.Loopback, defaultPort);
            if (rest[0] == ':' && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535) return new IPEndPoint(IPAddress.Loopback, port);
        }
        throw new DiscoveryConfigurationException(entry.Key, $"'{entry.Value}' is not an IP address with an optional port (example: 10.0.0.5:7946)");
    }

    /// <summary>
    /// The values of a list key, written either as a YAML/JSON list (<c>Key:0</c>, <c>Key:1</c>, ...) or as one
    /// comma-separated value. Blank entries are skipped.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> List(IConfiguration section, string key)
    {
        ArgumentNullException.ThrowIfNull(section);
        var child = section.GetSection(key);
        var result = new List<(string, string)>();
        if (!string.IsNullOrWhiteSpace(child.Value))
        {
            foreach (var part in child.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) result.Add((child.Path, part));
        }
        foreach (var item in child.GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(item.Value)) result.Add((item.Path, item.Value.Trim()));
        }
        return result;
    }

    private static bool Number(string s, double secondsPerUnit, out TimeSpan value)
    {
        bool ok = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) && n * secondsPerUnit < TimeSpan.MaxValue.TotalSeconds;
        value = ok ? TimeSpan.FromSeconds(n * secondsPerUnit) : default;
        return ok;
    }
}
