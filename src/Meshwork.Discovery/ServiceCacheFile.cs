using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meshwork.Discovery;

/// <summary>
/// The on-disk form of the discovery cache: JSON, written to a temporary file and renamed over the old one so that a
/// crash mid-write never leaves a half file. Anything unreadable is reported to the caller, which ignores the file.
/// </summary>
internal static class ServiceCacheFile
{
    public const int FormatVersion = 1;

    public static Dictionary<string, IReadOnlyList<ServiceInstance>> Load(string path)
    {
        using var stream = File.OpenRead(path);
        var doc = JsonSerializer.Deserialize(stream, CacheJsonContext.Default.CacheDocument)
            ?? throw new InvalidDataException("the file holds JSON null");
        if (doc.Format != FormatVersion) throw new InvalidDataException($"format {doc.Format} is not the supported format {FormatVersion}");
        var result = new Dictionary<string, IReadOnlyList<ServiceInstance>>(StringComparer.Ordinal);
        foreach (var (service, entries) in doc.Services ?? [])
        {
            result[service] = entries.Select(e => e.ToInstance(service)).ToArray();
        }
        return result;
    }

    public static void Save(string path, IReadOnlyDictionary<string, IReadOnlyList<ServiceInstance>> services)
    {
        var doc = new CacheDocument
        {
            Format = FormatVersion,
            Services = services.ToDictionary(s => s.Key, s => s.Value.Select(CachedInstance.From).ToList(), StringComparer.Ordinal),
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            JsonSerializer.Serialize(stream, doc, CacheJsonContext.Default.CacheDocument);
        }
        File.Move(temp, path, overwrite: true);
    }
}

internal sealed class CacheDocument
{
    public int Format { get; set; }

    public Dictionary<string, List<CachedInstance>>? Services { get; set; }
}

internal sealed class CachedInstance
{
    public string? Service { get; set; }
    public string? Id { get; set; }
    public string? Address { get; set; }
    public int Weight { get; set; } = 100;
    public string? Version { get; set; }
    public string? Zone { get; set; }
    public string? Node { get; set; }
    public InstanceHealth Health { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }

    public static CachedInstance From(ServiceInstance i) => new()
    {
        Service = i.Service,
        Id = i.Id,
        Address = i.Address,
        Weight = i.Weight,
        Version = i.Version.ToString(),
        Zone = i.Zone,
        Node = i.Node,
        Health = i.Health,
        Tags = i.Tags.ToDictionary(),
        Metadata = i.Metadata.ToDictionary(),
    };

    public ServiceInstance ToInstance(string service) => new(service, Address ?? throw new InvalidDataException($"an instance of '{service}' has no address"))
    {
        Id = Id ?? "",
        Weight = Weight,
        Version = SemanticVersion.Parse(Version ?? "0.0.0"),
        Zone = Zone,
        Node = Node,
        Health = Health,
        Tags = Tags ?? [],
        Metadata = Metadata ?? [],
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CacheDocument))]
[JsonSerializable(typeof(List<CachedInstance>))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
