using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// Writes MessagePack in the dialect of go-msgpack 0.5.5 with a zero-value handle:
/// strings and byte arrays both use the old "raw" family (fixraw, raw16, raw32 — never str8 or bin),
/// integers use the smallest unsigned form when non-negative. This is the form memberlist 0.2.2 and serf 0.9.4
/// peers decode; public for layers that put their own messages inside memberlist user messages (Serf).
/// Write map keys in byte order of their names, as go-msgpack does for structs.
/// </summary>
public sealed class MsgPackWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial buffer of <paramref name="capacity"/> bytes (it grows as needed).</summary>
    public MsgPackWriter(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _buffer = new byte[capacity];
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written so far.</summary>
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

    /// <summary>Writes one byte as-is (a message type byte, not a msgpack value).</summary>
    public void WriteByte(byte value) => Grab(1)[0] = value;

    /// <summary>Writes bytes as-is, without a msgpack header (data that follows a header, as in push/pull).</summary>
    public void WriteRawBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grab(bytes.Length));

    /// <summary>Writes msgpack nil.</summary>
    public void WriteNil() => WriteByte(0xc0);

    /// <summary>Writes a boolean.</summary>
    public void WriteBool(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    /// <summary>Writes a map header for <paramref name="count"/> key/value pairs.</summary>
    public void WriteMapHeader(int count)
    {
        if (count < 16) { WriteByte((byte)(0x80 | count)); }
        else if (count < 65536) { var s = Grab(3); s[0] = 0xde; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); }
        else { var s = Grab(5); s[0] = 0xdf; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); }
    }

    /// <summary>Writes an array header for <paramref name="count"/> elements.</summary>
    public void WriteArrayHeader(int count)
    {
        if (count < 16) { WriteByte((byte)(0x90 | count)); }
        else if (count < 65536) { var s = Grab(3); s[0] = 0xdc; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); }
        else { var s = Grab(5); s[0] = 0xdd; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); }
    }

    /// <summary>Writes an unsigned integer in its smallest form.</summary>
    public void WriteUInt(ulong value)
    {
        if (value < 128) { WriteByte((byte)value); }
        else if (value <= 0xff) { var s = Grab(2); s[0] = 0xcc; s[1] = (byte)value; }
        else if (value <= 0xffff) { var s = Grab(3); s[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)value); }
        else if (value <= 0xffffffff) { var s = Grab(5); s[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)value); }
        else { var s = Grab(9); s[0] = 0xcf; BinaryPrimitives.WriteUInt64BigEndian(s[1..], value); }
    }

    /// <summary>Writes a signed integer: the smallest unsigned form when non-negative, else the smallest signed form.</summary>
    public void WriteInt(long value)
    {
        if (value >= 0) { WriteUInt((ulong)value); return; }
        if (value >= -32) { WriteByte((byte)(sbyte)value); }
        else if (value >= sbyte.MinValue) { var s = Grab(2); s[0] = 0xd0; s[1] = (byte)(sbyte)value; }
        else if (value >= short.MinValue) { var s = Grab(3); s[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)value); }
        else if (value >= int.MinValue) { var s = Grab(5); s[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)value); }
        else { var s = Grab(9); s[0] = 0xd3; BinaryPrimitives.WriteInt64BigEndian(s[1..], value); }
    }

    /// <summary>Writes a float64.</summary>
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

    /// <summary>Writes only the header of a raw value of <paramref name="length"/> bytes (fixraw, raw16 or raw32).</summary>
    public void WriteRawHeader(int length)
    {
        if (length < 32) { WriteByte((byte)(0xa0 | length)); }
        else if (length < 65536) { var s = Grab(3); s[0] = 0xda; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); }
        else { var s = Grab(5); s[0] = 0xdb; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length); }
    }

    /// <summary>Writes a Go string: UTF-8 bytes in the raw family.</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteRawHeader(count);
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    /// <summary>
    /// Writes a string in the newer msgpack dialect (fixstr, str8, str16, str32). Serf's client RPC ("IPC") encodes
    /// strings this way; gossip messages never do.
    /// </summary>
    public void WriteStr(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count < 32) { WriteByte((byte)(0xa0 | count)); }
        else if (count < 256) { var s = Grab(2); s[0] = 0xd9; s[1] = (byte)count; }
        else if (count < 65536) { var s = Grab(3); s[0] = 0xda; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); }
        else { var s = Grab(5); s[0] = 0xdb; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); }
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    /// <summary>
    /// Writes bytes as msgpack bin (bin8, bin16, bin32), the newer dialect's form of a Go []byte that serf's client
    /// RPC uses; gossip messages never do.
    /// </summary>
    public void WriteBin(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 256) { var s = Grab(2); s[0] = 0xc4; s[1] = (byte)bytes.Length; }
        else if (bytes.Length < 65536) { var s = Grab(3); s[0] = 0xc5; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)bytes.Length); }
        else { var s = Grab(5); s[0] = 0xc6; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)bytes.Length); }
        WriteRawBytes(bytes);
    }

    /// <summary>Starts over, keeping the buffer (for a writer reused across messages).</summary>
    public void Reset() => _length = 0;

    /// <summary>Writes a map key (field name); alias of <see cref="WriteString"/> for readability.</summary>
    public void Key(string name) => WriteString(name);
}
