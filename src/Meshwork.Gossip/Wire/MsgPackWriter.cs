using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// Writes MessagePack in the dialect of go-msgpack 0.5.5 with a zero-value handle:
/// strings and byte arrays both use the old "raw" family (fixraw, raw16, raw32 — never str8 or bin),
/// integers use the smallest unsigned form when non-negative.
/// </summary>
internal sealed class MsgPackWriter
{
    private byte[] _buffer;
    private int _length;

    public MsgPackWriter(int capacity = 256) => _buffer = new byte[capacity];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private Span<byte> Grab(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void WriteByte(byte value) => Grab(1)[0] = value;

    public void WriteRawBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grab(bytes.Length));

    public void WriteNil() => WriteByte(0xc0);

    public void WriteBool(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    public void WriteMapHeader(int count)
    {
        if (count < 16) { WriteByte((byte)(0x80 | count)); }
        else if (count < 65536) { var s = Grab(3); s[0] = 0xde; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); }
        else { var s = Grab(5); s[0] = 0xdf; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); }
    }

    public void WriteArrayHeader(int count)
    {
        if (count < 16) { WriteByte((byte)(0x90 | count)); }
        else if (count < 65536) { var s = Grab(3); s[0] = 0xdc; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); }
        else { var s = Grab(5); s[0] = 0xdd; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); }
    }

    public void WriteUInt(ulong value)
    {
        if (value < 128) { WriteByte((byte)value); }
        else if (value <= 0xff) { var s = Grab(2); s[0] = 0xcc; s[1] = (byte)value; }
        else if (value <= 0xffff) { var s = Grab(3); s[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)value); }
        else if (value <= 0xffffffff) { var s = Grab(5); s[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)value); }
        else { var s = Grab(9); s[0] = 0xcf; BinaryPrimitives.WriteUInt64BigEndian(s[1..], value); }
    }

    public void WriteInt(long value)
    {
        if (value >= 0) { WriteUInt((ulong)value); return; }
        if (value >= -32) { WriteByte((byte)(sbyte)value); }
        else if (value >= sbyte.MinValue) { var s = Grab(2); s[0] = 0xd0; s[1] = (byte)(sbyte)value; }
        else if (value >= short.MinValue) { var s = Grab(3); s[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)value); }
        else if (value >= int.MinValue) { var s = Grab(5); s[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)value); }
        else { var s = Grab(9); s[0] = 0xd3; BinaryPrimitives.WriteInt64BigEndian(s[1..], value); }
    }

    public void WriteDouble(double value)
    {
        var s = Grab(9);
        s[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], value);
    }

    /// <summary>Writes a raw header followed by the bytes (used for Go strings and []byte alike).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        WriteRawHeader(bytes.Length);
        WriteRawBytes(bytes);
    }

    /// <summary>Writes a Go []byte: nil becomes msgpack nil, anything else a raw.</summary>
    public void WriteBytes(byte[]? bytes)
    {
        if (bytes is null) { WriteNil(); } else { WriteRaw(bytes); }
    }

    public void WriteRawHeader(int length)
    {
        if (length < 32) { WriteByte((byte)(0xa0 | length)); }
        else if (length < 65536) { var s = Grab(3); s[0] = 0xda; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); }
        else { var s = Grab(5); s[0] = 0xdb; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length); }
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteRawHeader(count);
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    /// <summary>Writes a map key (field name); alias of <see cref="WriteString"/> for readability.</summary>
    public void Key(string name) => WriteString(name);
}
