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

    private static int Hash(ReadOnlySpan<byte> s)
    {
        uint h = 2166136261;
        foreach (byte b in s) h = (h ^ b) * 16777619;
        return (int)h;
    }
}
