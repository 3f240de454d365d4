using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Rpc.Protocol;

/// <summary>
/// Maps the UTF-8 bytes of service and method names to cached strings, so decoding a request header
/// does not allocate a string per call. Bounded: once full, new names are decoded without caching,
/// which stops a peer from growing memory by sending random names.
/// </summary>
internal sealed class Utf8StringCache
{
    private readonly Entry?[] _buckets;
    // The name last found for each kind of name (service, method): a connection's requests mostly repeat the names of
    // the one before, which are then compared once instead of hashed and looked up. Shared by the connections of the
    // cache's owner; an entry is immutable, so a stale one is only a miss.
    private Entry? _recentService, _recentMethod;
    private readonly int _capacity;
    private int _count;

    private sealed class Entry(byte[] utf8, string value, Entry? next)
    {
        public readonly byte[] Utf8 = utf8;
        public readonly string Value = value;
        public readonly Entry? Next = next;
    }

    public Utf8StringCache(int capacity = 1024)
    {
        _capacity = capacity;
        _buckets = new Entry?[Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity))];
    }

    /// <summary>The string for <paramref name="utf8"/>, a service name when <paramref name="isMethod"/> is false, a method name otherwise.</summary>
    public string GetOrAdd(ReadOnlySpan<byte> utf8, bool isMethod)
    {
        ref Entry? recent = ref isMethod ? ref _recentMethod : ref _recentService;
        var last = Volatile.Read(ref recent);
        if (last is not null && utf8.SequenceEqual(last.Utf8)) return last.Value;
        var entry = Find(utf8);
        if (entry is null) return Add(utf8);
        Volatile.Write(ref recent, entry);
        return entry.Value;
    }

    private Entry? Find(ReadOnlySpan<byte> utf8)
    {
        for (var e = Volatile.Read(ref Bucket(utf8)); e is not null; e = e.Next)
        {
            if (utf8.SequenceEqual(e.Utf8)) return e;
        }
        return null;
    }

    private ref Entry? Bucket(ReadOnlySpan<byte> utf8) => ref _buckets[Hash(utf8) & (_buckets.Length - 1)];

    private string Add(ReadOnlySpan<byte> utf8)
    {
        string value;
        try
        {
            value = SpanReader.StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException("header: name is not valid UTF-8");
        }
        if (Volatile.Read(ref _count) < _capacity)
        {
            lock (_buckets)
            {
                if (_count < _capacity)
                {
                    ref Entry? bucket = ref Bucket(utf8);
                    Volatile.Write(ref bucket, new Entry(utf8.ToArray(), value, bucket));
                    _count++;
                }
            }
        }
        return value;
    }

    // Every request looks up two names: the length and the first and last 8 bytes tell the names of one service apart
    // well enough for a bucket (SequenceEqual confirms), for a fraction of a per-byte hash. A peer that sends names
    // colliding on purpose only fills buckets of a bounded cache.
    private static int Hash(ReadOnlySpan<byte> s)
    {
        if (s.Length < 8)
        {
            uint h = 2166136261;
            foreach (byte b in s) h = (h ^ b) * 16777619;
            return (int)h;
        }
        ulong first = BinaryPrimitives.ReadUInt64LittleEndian(s);
        ulong last = BinaryPrimitives.ReadUInt64LittleEndian(s[^8..]);
        ulong mixed = (first * 0x9E3779B97F4A7C15UL) ^ (last + (ulong)s.Length) * 0xC2B2AE3D27D4EB4FUL;
        return (int)(mixed ^ (mixed >> 32));
    }
}
