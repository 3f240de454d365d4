using System.Buffers;
using System.Buffers.Binary;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// Copies a sequence of msgpack values from a span to a writer, rewriting map keys only: with <c>encode</c> a key
/// found in <see cref="CompactKeys"/> becomes its one-byte id; without, a one-byte id (positive fixint) in key
/// position becomes the key's string again. Any other byte is copied as it is. A failure (truncation, an invalid
/// byte, nesting past <see cref="CompactGossipCodec.MaxDepth"/>, or, when encoding, a key that already is a positive
/// fixint and so could not be told apart from an id) returns false and sets <see cref="Error"/>.
/// </summary>
internal ref struct CompactWalker
{
    private readonly ReadOnlySpan<byte> _src;
    private readonly IBufferWriter<byte> _out;
    private readonly bool _encode;
    private int _pos;

    public CompactWalker(ReadOnlySpan<byte> src, int start, IBufferWriter<byte> output, bool encode)
    {
        _src = src;
        _pos = start;
        _out = output;
        _encode = encode;
    }

    /// <summary>Why the last walk failed.</summary>
    public string? Error { get; private set; }

    /// <summary>Copies values until the end of the span.</summary>
    public bool CopySequence()
    {
        while (_pos < _src.Length)
        {
            if (!CopyValue(0)) { return false; }
        }
        return true;
    }

    private bool Fail(string error)
    {
        Error = error;
        return false;
    }

    private bool Copy(int count)
    {
        if (count < 0 || count > _src.Length - _pos) { return Fail("truncated msgpack value"); }
        _out.Write(_src.Slice(_pos, count));
        _pos += count;
        return true;
    }

    private bool Length(int headerBytes, int sizeBytes, out int length)
    {
        length = 0;
        if (_pos + headerBytes + sizeBytes > _src.Length) { return Fail("truncated msgpack header"); }
        var s = _src.Slice(_pos + headerBytes, sizeBytes);
        var value = sizeBytes switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(s),
            _ => (long)BinaryPrimitives.ReadUInt32BigEndian(s),
        };
        if (value > _src.Length) { return Fail("msgpack length beyond the datagram"); }
        length = (int)value;
        return true;
    }

    private bool CopyValue(int depth)
    {
        if (depth > CompactGossipCodec.MaxDepth) { return Fail($"msgpack nested deeper than {CompactGossipCodec.MaxDepth}"); }
        if (_pos >= _src.Length) { return Fail("truncated msgpack value"); }
        var b = _src[_pos];
        int n;
        switch (b)
        {
            case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3: return Copy(1);
            case <= 0x8f: return CopyMap(1, b & 0x0f, depth);
            case <= 0x9f: return CopyArray(1, b & 0x0f, depth);
            case <= 0xbf: return Copy(1 + (b & 0x1f));
            case 0xc1: return Fail("msgpack byte 0xc1 is never used");
            case 0xc4 or 0xd9: return Length(1, 1, out n) && Copy(2 + n);
            case 0xc5 or 0xda: return Length(1, 2, out n) && Copy(3 + n);
            case 0xc6 or 0xdb: return Length(1, 4, out n) && Copy(5 + n);
            case 0xc7: return Length(1, 1, out n) && Copy(3 + n);
            case 0xc8: return Length(1, 2, out n) && Copy(4 + n);
            case 0xc9: return Length(1, 4, out n) && Copy(6 + n);
            case 0xca or 0xce or 0xd2: return Copy(5);
            case 0xcb or 0xcf or 0xd3: return Copy(9);
            case 0xcc or 0xd0: return Copy(2);
            case 0xcd or 0xd1: return Copy(3);
            case 0xd4: return Copy(3);
            case 0xd5: return Copy(4);
            case 0xd6: return Copy(6);
            case 0xd7: return Copy(10);
            case 0xd8: return Copy(18);
            case 0xdc: return Length(1, 2, out n) && CopyArray(3, n, depth);
            case 0xdd: return Length(1, 4, out n) && CopyArray(5, n, depth);
            case 0xde: return Length(1, 2, out n) && CopyMap(3, n, depth);
            default: return Length(1, 4, out n) && CopyMap(5, n, depth); // 0xdf
        }
    }

    private bool CopyArray(int header, int count, int depth)
    {
        if (count > _src.Length - _pos - header) { return Fail("msgpack array longer than the datagram"); }
        if (!Copy(header)) { return false; }
        for (var i = 0; i < count; i++)
        {
            if (!CopyValue(depth + 1)) { return false; }
        }
        return true;
    }

    private bool CopyMap(int header, int count, int depth)
    {
        if (count > (_src.Length - _pos - header) / 2) { return Fail("msgpack map longer than the datagram"); }
        if (!Copy(header)) { return false; }
        for (var i = 0; i < count; i++)
        {
            if (!CopyKey(depth + 1) || !CopyValue(depth + 1)) { return false; }
        }
        return true;
    }

    private bool CopyKey(int depth)
    {
        if (_pos >= _src.Length) { return Fail("truncated msgpack map"); }
        var b = _src[_pos];
        if (_encode)
        {
            if (b <= 0x7f) { return Fail("a map key is a small integer, which the compact form uses for key ids"); }
            if (b is >= 0xa0 and <= 0xbf)
            {
                var len = b & 0x1f;
                if (1 + len > _src.Length - _pos) { return Fail("truncated msgpack key"); }
                var id = CompactKeys.IdOf(_src.Slice(_pos + 1, len));
                if (id >= 0)
                {
                    _out.Write([(byte)id]);
                    _pos += 1 + len;
                    return true;
                }
            }
            return CopyValue(depth);
        }
        if (b > 0x7f) { return CopyValue(depth); }
        ReadOnlySpan<byte> name;
        try { name = CompactKeys.NameOf(b); }
        catch (WireFormatException e) { return Fail(e.Message); }
        _out.Write([(byte)(0xa0 | name.Length)]);
        _out.Write(name);
        _pos++;
        return true;
    }
}
