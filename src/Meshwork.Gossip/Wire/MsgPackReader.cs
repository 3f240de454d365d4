using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// Reads MessagePack produced by go-msgpack (and tolerates the newer str8/bin forms),
/// in the decoding style of the Go peer: struct maps with exact, case-sensitive keys, unknown keys skipped.
/// </summary>
internal ref struct MsgPackReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public MsgPackReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

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

    public readonly byte PeekByte()
    {
        if (_pos >= _data.Length) { throw new WireFormatException("unexpected end of msgpack data"); }
        return _data[_pos];
    }

    public bool TryReadNil()
    {
        if (PeekByte() == 0xc0) { _pos++; return true; }
        return false;
    }

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

    public ulong ReadUInt64()
    {
        var b = PeekByte();
        if (b == 0xcf) { _pos++; return BinaryPrimitives.ReadUInt64BigEndian(Take(8)); }
        var v = ReadInt();
        if (v < 0) { throw new WireFormatException("negative value for unsigned field"); }
        return (ulong)v;
    }

    public uint ReadUInt32() => checked((uint)ReadUInt64Checked(uint.MaxValue));

    public ushort ReadUInt16() => checked((ushort)ReadUInt64Checked(ushort.MaxValue));

    public byte ReadUInt8() => checked((byte)ReadUInt64Checked(byte.MaxValue));

    private ulong ReadUInt64Checked(ulong max)
    {
        var v = ReadUInt64();
        if (v > max) { throw new WireFormatException($"integer {v} out of range"); }
        return v;
    }

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
