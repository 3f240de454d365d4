using System.Text;

namespace Meshwork.Discovery.Gossip;

/// <summary>
/// The compact per-node announcement: <c>1;&lt;directory address&gt;;&lt;fingerprint&gt;;&lt;names&gt;</c>, where names
/// is a comma-separated list of the node's service names, or <c>*</c> when they do not fit the tag budget. The
/// fingerprint changes whenever any field of any instance changes, so clients fetch details only on change.
/// </summary>
internal readonly record struct ServiceTag(string DirectoryAddress, string Fingerprint, string[]? Names)
{
    public const string FormatVersion = "1";

    public bool MayHost(string service) => Names is null || Array.IndexOf(Names, service) >= 0;

    public string Encode(int maxBytes)
    {
        var head = $"{FormatVersion};{DirectoryAddress};{Fingerprint};";
        if (Names is { } names)
        {
            var full = head + string.Join(',', names);
            if (Encoding.UTF8.GetByteCount(full) <= maxBytes) return full;
        }
        var star = head + "*";
        if (Encoding.UTF8.GetByteCount(star) > maxBytes)
        {
            throw new ArgumentException($"the service announcement '{star}' is longer than GossipDiscoveryOptions.MaxTagBytes ({maxBytes}); use a shorter directory address or a larger budget");
        }
        return star;
    }

    public static bool TryParse(string value, out ServiceTag tag)
    {
        tag = default;
        var parts = value.Split(';');
        if (parts.Length != 4 || parts[0] != FormatVersion || parts[1].Length == 0 || parts[2].Length == 0) return false;
        tag = new ServiceTag(parts[1], parts[2], parts[3] == "*" ? null : parts[3].Split(',', StringSplitOptions.RemoveEmptyEntries));
        return true;
    }
}
