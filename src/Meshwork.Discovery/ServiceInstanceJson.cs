using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Meshwork.Discovery;

/// <summary>
/// The JSON form of instance records shared by providers that store or ship them as text (the gossip directory,
/// key-value registries, the cache file), so every provider reads what another wrote.
/// </summary>
public static class ServiceInstanceJson
{
    /// <summary>Encodes instances as a JSON array, ordered by <see cref="ServiceInstance.Id"/> so equal sets encode equally.</summary>
    public static string Encode(IEnumerable<ServiceInstance> instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var list = instances.OrderBy(i => i.Service, StringComparer.Ordinal).ThenBy(i => i.Id, StringComparer.Ordinal).Select(CachedInstance.From).ToList();
        return JsonSerializer.Serialize(list, CacheJsonContext.Default.ListCachedInstance);
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The text is not a valid instance list; the message says why.</exception>
    public static IReadOnlyList<ServiceInstance> Decode(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var list = JsonSerializer.Deserialize(json, CacheJsonContext.Default.ListCachedInstance) ?? throw new InvalidDataException("the instance list is JSON null");
            return list.Select(e => e.ToInstance(e.Service ?? throw new InvalidDataException("an instance record has no service name"))).ToArray();
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"not a valid instance list: {e.Message}", e);
        }
    }

    /// <summary>A short stable fingerprint of a set (16 hex digits of SHA-256 over <see cref="Encode"/>): equal sets, equal fingerprints.</summary>
    public static string Fingerprint(IEnumerable<ServiceInstance> instances)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(Encode(instances)), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
