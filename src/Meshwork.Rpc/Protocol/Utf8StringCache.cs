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

    public string GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        int hash = Hash(utf8);
        ref Entry? bucket = ref _buckets[hash & (_buckets.Length - 1)];
        for (var e = Volatile.Read(ref bucket); e is not null; e = e.Next)
        {
            if (utf8.SequenceEqual(e.Utf8)) return e.Value;
        }
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
