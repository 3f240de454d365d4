using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Rpc.Protocol;

/// <summary>Minimal bounds-checked MessagePack reader over a span; every malformed input becomes a <see cref="ProtocolException"/>.</summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _src;
    private int _pos;
    private const int MaxDepth = 16;

    public SpanReader(ReadOnlySpan<byte> src)
    {
        _src = src;
        _pos = 0;
    }

    public readonly bool AtEnd => _pos == _src.Length;
    public readonly int Remaining => _src.Length - _pos;

    private byte Next()
    {
        if (_pos >= _src.Length) throw Truncated();
        return _src[_pos++];
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _src.Length - _pos) throw Truncated();
        var s = _src.Slice(_pos, n);
        _pos += n;
        return s;
    }

    private static ProtocolException Truncated() => new("header is truncated");

    public int ReadMapHeader()
    {
        byte b = Next();
        if ((b & 0xF0) == 0x80) return b & 0x0F;
        long n = b switch
        {
            0xDE => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xDF => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            _ => throw new ProtocolException($"header: expected a map, found type byte 0x{b:X2}"),
        };
        // Each entry needs at least two bytes; anything claiming more is garbage.
        if (n > Remaining / 2) throw Truncated();
        return (int)n;
    }

    public ulong ReadUInt(ulong max = ulong.MaxValue)
    {
        byte b = Next();
        ulong v = b switch
        {
            <= 0x7F => b,
            0xCC => Take(1)[0],
            0xCD => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xCE => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            0xCF => BinaryPrimitives.ReadUInt64BigEndian(Take(8)),
            _ => throw new ProtocolException($"header: expected an unsigned integer, found type byte 0x{b:X2}"),
        };
        if (v > max) throw new ProtocolException($"header: integer {v} is out of range (max {max})");
        return v;
    }

    private ReadOnlySpan<byte> ReadStrBytes()
    {
        byte b = Next();
        int n;
        if ((b & 0xE0) == 0xA0) n = b & 0x1F;
        else if (b == 0xD9) n = Take(1)[0];
        else if (b == 0xDA) n = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        else if (b == 0xDB)
        {
            uint u = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            if (u > int.MaxValue) throw Truncated();
            n = (int)u;
        }
        else throw new ProtocolException($"header: expected a string, found type byte 0x{b:X2}");
        return Take(n);
    }

    public string ReadString()
    {
        var bytes = ReadStrBytes();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException("header: string is not valid UTF-8");
        }
    }

    public string ReadName(Utf8StringCache? cache, bool isMethod)
    {
        var bytes = ReadStrBytes();
        if (cache is null) return StrictUtf8.GetString(bytes);
        return cache.GetOrAdd(bytes, isMethod);
    }

    internal static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public void Skip(int depth)
    {
        if (depth > MaxDepth) throw new ProtocolException("header: nesting too deep");
        byte b = Next();
        switch (b)
        {
            case <= 0x7F: case >= 0xE0: case 0xC0: case 0xC2: case 0xC3: return;
            case >= 0x80 and <= 0x8F: SkipN((b & 0x0F) * 2, depth); return;
            case >= 0x90 and <= 0x9F: SkipN(b & 0x0F, depth); return;
            case >= 0xA0 and <= 0xBF: Take(b & 0x1F); return;
            case 0xC4 or 0xD9: Take(Take(1)[0]); return;
            case 0xC5 or 0xDA: Take(BinaryPrimitives.ReadUInt16BigEndian(Take(2))); return;
            case 0xC6 or 0xDB: Take(Len32()); return;
            case 0xCC or 0xD0: Take(1); return;
            case 0xCD or 0xD1: Take(2); return;
            case 0xCE or 0xD2 or 0xCA: Take(4); return;
            case 0xCF or 0xD3 or 0xCB: Take(8); return;
            case 0xD4: Take(2); return;
            case 0xD5: Take(3); return;
            case 0xD6: Take(5); return;
            case 0xD7: Take(9); return;
            case 0xD8: Take(17); return;
            case 0xC7: Take(Take(1)[0] + 1); return;
            case 0xC8: Take(BinaryPrimitives.ReadUInt16BigEndian(Take(2)) + 1); return;
            case 0xC9: Take(Len32()); Take(1); return;
            case 0xDC: SkipN(BinaryPrimitives.ReadUInt16BigEndian(Take(2)), depth); return;
            case 0xDD: SkipN(Len32(), depth); return;
            case 0xDE: SkipN(BinaryPrimitives.ReadUInt16BigEndian(Take(2)) * 2, depth); return;
            case 0xDF: SkipN(Len32() * 2, depth); return;
            default: throw new ProtocolException($"header: invalid type byte 0x{b:X2}");
        }
    }

    /// <summary>A 32-bit length that must fit in what is left of the header.</summary>
    private int Len32()
    {
        uint n = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        if (n > (uint)Remaining) throw Truncated();
        return (int)n;
    }

    private void SkipN(int n, int depth)
    {
        if (n > Remaining) throw Truncated();
        for (int i = 0; i < n; i++) Skip(depth + 1);
    }
}
