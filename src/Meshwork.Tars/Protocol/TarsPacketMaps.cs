using System.Collections.ObjectModel;

namespace Meshwork.Tars;

/// <summary>
/// The <c>context</c> and <c>status</c> maps of decoded packets. Most calls carry both empty; they then share one
/// read-only empty map instead of two new dictionaries per packet.
/// </summary>
internal static class TarsPacketMaps
{
    /// <summary>The shared empty map (read-only: nobody can add to what every packet shares).</summary>
    public static IReadOnlyDictionary<string, string> Empty => ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Reads an optional <c>map&lt;string, string&gt;</c>; absent or empty gives <see cref="Empty"/>.</summary>
    public static IReadOnlyDictionary<string, string> Read(ref TarsReader reader, int tag)
    {
        var probe = reader;
        if (!probe.TryReadMapHeader(tag, false, out int count) || count == 0)
        {
            reader = probe;
            return Empty;
        }
        return reader.ReadStringMap(tag, false);
    }
}
