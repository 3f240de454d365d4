using System.Text;

namespace Meshwork.Tars;

/// <summary>
/// The object and function names a server serves, looked up by their UTF-8 bytes so that decoding a request's
/// <c>sServantName</c> and <c>sFuncName</c> returns the cached strings instead of two new strings per call. Fixed at
/// start: names a client sends that the server does not serve are decoded as before (they are answered -3 or -4), so
/// no peer can grow the table.
/// </summary>
internal sealed class TarsNameTable
{
    private readonly (byte[] Utf8, string Value)[][] _buckets;
    private readonly int _mask;

    public TarsNameTable(IEnumerable<string> names)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, distinct.Length * 2));
        var lists = new List<(byte[], string)>[size];
        _mask = size - 1;
        foreach (var name in distinct)
        {
            var utf8 = Encoding.UTF8.GetBytes(name);
            (lists[Hash(utf8) & _mask] ??= []).Add((utf8, name));
        }
        _buckets = [.. lists.Select(l => l?.ToArray() ?? [])];
    }

    /// <summary>The string for <paramref name="utf8"/>: the served name itself, or a newly decoded string for any other.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return string.Empty;
        foreach (var (bytes, value) in _buckets[Hash(utf8) & _mask])
        {
            if (utf8.SequenceEqual(bytes)) return value;
        }
        return Encoding.UTF8.GetString(utf8);
    }

    private static int Hash(ReadOnlySpan<byte> s)
    {
        uint h = 2166136261;
        foreach (byte b in s) h = (h ^ b) * 16777619;
        return (int)(h & int.MaxValue);
    }
}
