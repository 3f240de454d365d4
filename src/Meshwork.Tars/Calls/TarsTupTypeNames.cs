using System.Collections.Concurrent;
using System.Text;

namespace Meshwork.Tars;

/// <summary>
/// The type names TUP v2 files each value under. Callers (generated code) pass the TarsJava spelling, where a vector is
/// <c>list&lt;T&gt;</c>; Node's <c>@tars/stream</c> spells non-byte vectors <c>List&lt;T&gt;</c> and looks the name up
/// exactly, so a Node client finds no vector result under the Java name. Java takes whatever entry it finds, and C++
/// and Go do not speak v2, so writing the Node spelling serves every v2 peer. <c>vector&lt;byte&gt;</c> stays
/// <c>list&lt;char&gt;</c> in both.
/// </summary>
internal static class TarsTupTypeNames
{
    // Type names come from generated code (string literals), so the set is small; the bound keeps hand-written code that
    // builds names at run time from growing the cache without limit (beyond it names are converted on every call).
    private const int MaxCached = 1024;
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>The name as written on the wire: every <c>list&lt;</c> that is not <c>list&lt;char&gt;</c> becomes <c>List&lt;</c>.</summary>
    /// <param name="typeName">A TUP v2 type name in either spelling, e.g. <c>map&lt;string,list&lt;int32&gt;&gt;</c>.</param>
    /// <returns>E.g. <c>map&lt;string,List&lt;int32&gt;&gt;</c>.</returns>
    public static string ToWire(string typeName)
    {
        if (!typeName.Contains("list<", StringComparison.Ordinal)) return typeName;
        if (Cache.TryGetValue(typeName, out var cached)) return cached;
        string converted = Convert(typeName);
        if (Cache.Count < MaxCached) Cache.TryAdd(typeName, converted);
        return converted;
    }

    private static string Convert(string typeName)
    {
        var sb = new StringBuilder(typeName);
        int at = 0;
        while ((at = typeName.IndexOf("list<", at, StringComparison.Ordinal)) >= 0)
        {
            bool byteVector = string.CompareOrdinal(typeName, at, "list<char>", 0, 10) == 0;
            if (!byteVector) sb[at] = 'L';
            at += 5;
        }
        return sb.ToString();
    }
}
