using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// Reads MessagePack produced by go-msgpack (and tolerates the newer str8/bin forms),
/// in the decoding style of the Go peer: struct maps with exact, case-sensitive keys, unknown keys skipped.
/// Public for layers that put their own messages inside memberlist user messages and push/pull state (Serf).
/// Every read throws <see cref="WireFormatException"/> on malformed or truncated input (lengths beyond
/// <see cref="int.MaxValue"/> and integers out of range of the requested type throw <see cref="OverflowException"/>
/// or <see cref="WireFormatException"/>); it never reads past the span it was given.
/// </summary>
public ref struct MsgPackReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>Starts reading at the beginning of <paramref name="data"/>.</summary>
    public MsgPackReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _pos;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _data.Length - _pos;

    /// <summary>The unconsumed bytes (for raw data that follows a msgpack header, as in push/pull and relays).</summary>
    public readonly ReadOnlySpan<byte> Rest => _data[_pos..];

    private byte Next()
    {
        if (_pos >= _data.Length) { throw new WireFormatException("unexpected end of msgpack data"); }
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _pos + count > _data.Length) { throw new WireFormatException("unexpected end of msgpack data"); }
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    /// <summary>The next byte, without consuming it.</summary>
    public readonly byte PeekByte()
    {
        if (_pos >= _data.Length) { throw new WireFormatException("unexpected end of msgpack data"); }
        return _data[_pos];
    }

    /// <summary>Consumes a msgpack nil and returns true, or consumes nothing and returns false.</summary>
    public bool TryReadNil()
    {
        if (PeekByte() == 0xc0) { _pos++; return true; }
        return false;
    }

    /// <summary>Reads a map header and returns its number of key/value pairs (nil reads as an empty map).</summary>
    public int ReadMapHeader()
    {
        var b = Next();
        if ((b & 0xf0) == 0x80) { return b & 0x0f; }
        return b switch
        {
            0xde => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xdf => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            0xc0 => 0,
            _ => throw new WireFormatException($"expected map, got 0x{b:x2}"),
        };
    }

    /// <summary>Reads an array header and returns its length, or -1 for nil (a Go nil slice).</summary>
    public int ReadArrayHeader()
    {
        var b = Next();
        if ((b & 0xf0) == 0x90) { return b & 0x0f; }
        return b switch
        {
            0xdc => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xdd => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            0xc0 => -1,
            _ => throw new WireFormatException($"expected array, got 0x{b:x2}"),
        };
    }

    /// <summary>Reads a boolean (also 0 and 1, which old encoders wrote for bools).</summary>
    public bool ReadBool()
    {
        var b = Next();
        return b switch
        {
            0xc2 or 0x00 => false,
            0xc3 or 0x01 => true,
            _ => throw new WireFormatException($"expected bool, got 0x{b:x2}"),
        };
    }

    /// <summary>Reads any msgpack integer as a signed 64-bit value (nil reads as 0).</summary>
    public long ReadInt()
    {
        var b = Next();
        if (b <= 0x7f) { return b; }
        if (b >= 0xe0) { return (sbyte)b; }
        return b switch
        {
            0xcc => Take(1)[0],
            0xcd => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xce => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            0xcf => checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(8))),
            0xd0 => (sbyte)Take(1)[0],
            0xd1 => BinaryPrimitives.ReadInt16BigEndian(Take(2)),
            0xd2 => BinaryPrimitives.ReadInt32BigEndian(Take(4)),
            0xd3 => BinaryPrimitives.ReadInt64BigEndian(Take(8)),
            0xc0 => 0,
            _ => throw new WireFormatException($"expected integer, got 0x{b:x2}"),
        };
    }

    /// <summary>Reads a non-negative integer up to <see cref="ulong.MaxValue"/>.</summary>
    public ulong ReadUInt64()
    {
        var b = PeekByte();
        if (b == 0xcf) { _pos++; return BinaryPrimitives.ReadUInt64BigEndian(Take(8)); }
        var v = ReadInt();
        if (v < 0) { throw new WireFormatException("negative value for unsigned field"); }
        return (ulong)v;
    }

    /// <summary>Reads a non-negative integer that must fit in 32 bits.</summary>
    public uint ReadUInt32() => checked((uint)ReadUInt64Checked(uint.MaxValue));

    /// <summary>Reads a non-negative integer that must fit in 16 bits.</summary>
    public ushort ReadUInt16() => checked((ushort)ReadUInt64Checked(ushort.MaxValue));

    /// <summary>Reads a non-negative integer that must fit in 8 bits.</summary>
    public byte ReadUInt8() => checked((byte)ReadUInt64Checked(byte.MaxValue));

    private ulong ReadUInt64Checked(ulong max)
    {
        var v = ReadUInt64();
        if (v > max) { throw new WireFormatException($"integer {v} out of range"); }
        return v;
    }

    /// <summary>Reads a float64 or float32 value.</summary>
    public double ReadDouble()
    {
        var b = Next();
        return b switch
        {
            0xcb => BinaryPrimitives.ReadDoubleBigEndian(Take(8)),
            0xca => BinaryPrimitives.ReadSingleBigEndian(Take(4)),
            _ => throw new WireFormatException($"expected float, got 0x{b:x2}"),
        };
    }

    /// <summary>Reads a raw/str/bin value; returns null for msgpack nil.</summary>
    public byte[]? ReadBytes()
    {
        var b = Next();
        if (b == 0xc0) { return null; }
        int len;
        if ((b & 0xe0) == 0xa0) { len = b & 0x1f; }
        else
        {
            len = b switch
            {
                0xd9 or 0xc4 => Take(1)[0],
                0xda or 0xc5 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
                0xdb or 0xc6 => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
                _ => throw new WireFormatException($"expected raw bytes, got 0x{b:x2}"),
            };
        }
        return Take(len).ToArray();
    }

    /// <summary>Reads a raw/str/bin value as UTF-8 text (nil reads as the empty string, as a Go string would).</summary>
    public string ReadString()
    {
        var bytes = ReadBytes();
        return bytes is null ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Skips one complete msgpack object.</summary>
    public void Skip()
    {
        var b = Next();
        if (b <= 0x7f || b >= 0xe0 || b is 0xc0 or 0xc2 or 0xc3) { return; }
        if ((b & 0xe0) == 0xa0) { Take(b & 0x1f); return; }
        if ((b & 0xf0) == 0x80) { SkipMany(2 * (b & 0x0f)); return; }
        if ((b & 0xf0) == 0x90) { SkipMany(b & 0x0f); return; }
        switch (b)
        {
            case 0xcc or 0xd0: Take(1); return;
            case 0xcd or 0xd1: Take(2); return;
            case 0xce or 0xd2 or 0xca: Take(4); return;
            case 0xcf or 0xd3 or 0xcb: Take(8); return;
            case 0xd9 or 0xc4: Take(Take(1)[0]); return;
            case 0xda or 0xc5: Take(BinaryPrimitives.ReadUInt16BigEndian(Take(2))); return;
            case 0xdb or 0xc6: Take(checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4)))); return;
            case 0xdc: SkipMany(BinaryPrimitives.ReadUInt16BigEndian(Take(2))); return;
            case 0xdd: SkipMany(checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4)))); return;
            case 0xde: SkipMany(2 * BinaryPrimitives.ReadUInt16BigEndian(Take(2))); return;
            case 0xdf: SkipMany(checked(2 * (int)BinaryPrimitives.ReadUInt32BigEndian(Take(4)))); return;
            case 0xd4: Take(2); return;
            case 0xd5: Take(3); return;
            case 0xd6: Take(5); return;
            case 0xd7: Take(9); return;
            case 0xd8: Take(17); return;
            case 0xc7: Take(1 + Take(1)[0]); return;
            case 0xc8: Take(1 + BinaryPrimitives.ReadUInt16BigEndian(Take(2))); return;
            case 0xc9: Take(1 + checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4)))); return;
            default: throw new WireFormatException($"invalid msgpack byte 0x{b:x2}");
        }
    }

    private void SkipMany(int count)
    {
        for (var i = 0; i < count; i++) { Skip(); }
    }
}

/// <summary>Raised when bytes received from a peer cannot be decoded.</summary>
public sealed class WireFormatException(string message) : Exception(message);
