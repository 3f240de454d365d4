using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Tars;

/// <summary>
/// Writes the Tars binary encoding into an <see cref="IBufferWriter{T}"/> (e.g. a pooled <see cref="TarsBufferWriter"/>).
/// Every value is written straight through (there is nothing to flush). Integers always take the smallest encoding
/// (ZERO for 0), strings take STRING1 up to 255 UTF-8 bytes, byte vectors are SIMPLE_LIST: exactly what C++, Go, Java
/// and Node write, so output is byte-for-byte comparable with theirs (except that floats/doubles are always written as
/// IEEE bytes, like C++, where Node writes ZERO for 0.0).
/// </summary>
/// <remarks>
/// Tags must be 0..255; a tag outside that range throws <see cref="ArgumentOutOfRangeException"/>. A <c>null</c>
/// string, list, map or byte array is written as an empty one (TARS has no null).
/// </remarks>
public ref struct TarsWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer over <paramref name="output"/>.</summary>
    /// <param name="output">Destination of the encoded bytes.</param>
    public TarsWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>The destination buffer writer.</summary>
    public readonly IBufferWriter<byte> Output => _output;

    /// <summary>Writes a field head (1 byte for tags 0..14, 2 bytes for 15..255).</summary>
    /// <param name="tag">The tag, 0..255.</param>
    /// <param name="type">The wire type.</param>
    public readonly void WriteHead(int tag, TarsType type)
    {
        if ((uint)tag > TarsHead.MaxTag) ThrowTag(tag);
        if (tag < 15)
        {
            var s = _output.GetSpan(1);
            s[0] = (byte)((tag << 4) | (int)type);
            _output.Advance(1);
        }
        else
        {
            var s = _output.GetSpan(2);
            s[0] = (byte)(0xF0 | (int)type);
            s[1] = (byte)tag;
            _output.Advance(2);
        }
    }

    /// <summary>Writes a bool as TARS does: true = INT1 1, false = ZERO.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteBool(int tag, bool value) => WriteInt64(tag, value ? 1 : 0);

    /// <summary>Writes a TARS <c>byte</c> (signed 8-bit).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteInt8(int tag, sbyte value) => WriteInt64(tag, value);

    /// <summary>Writes a TARS <c>unsigned byte</c>; it travels with <c>short</c> rules (200 is INT2 00 C8).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteUInt8(int tag, byte value) => WriteInt64(tag, value);

    /// <summary>Writes a <c>short</c> in its smallest encoding.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteInt16(int tag, short value) => WriteInt64(tag, value);

    /// <summary>Writes a TARS <c>unsigned short</c>; it travels with <c>int</c> rules.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteUInt16(int tag, ushort value) => WriteInt64(tag, value);

    /// <summary>Writes an <c>int</c> (also enums) in its smallest encoding.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteInt32(int tag, int value) => WriteInt64(tag, value);

    /// <summary>Writes a TARS <c>unsigned int</c>; it travels with <c>long</c> rules.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteUInt32(int tag, uint value) => WriteInt64(tag, value);

    /// <summary>Writes a <c>long</c> in its smallest encoding: ZERO, INT1, INT2, INT4 or INT8.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteInt64(int tag, long value)
    {
        if (value == 0)
        {
            WriteHead(tag, TarsType.Zero);
        }
        else if (value is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            WriteHead(tag, TarsType.Int1);
            var s = _output.GetSpan(1);
            s[0] = (byte)(sbyte)value;
            _output.Advance(1);
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            WriteHead(tag, TarsType.Int2);
            BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), (short)value);
            _output.Advance(2);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            WriteHead(tag, TarsType.Int4);
            BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), (int)value);
            _output.Advance(4);
        }
        else
        {
            WriteHead(tag, TarsType.Int8);
            BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
            _output.Advance(8);
        }
    }

    /// <summary>Writes a float as 4 IEEE bytes (also for 0.0, like C++).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteFloat(int tag, float value)
    {
        WriteHead(tag, TarsType.Float);
        BinaryPrimitives.WriteSingleBigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    /// <summary>Writes a double as 8 IEEE bytes (also for 0.0, like C++).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteDouble(int tag, double value)
    {
        WriteHead(tag, TarsType.Double);
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    /// <summary>Writes a string as UTF-8: STRING1 up to 255 bytes, STRING4 above; <c>null</c> is written as "".</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The value.</param>
    public readonly void WriteString(int tag, string? value)
    {
        var chars = value.AsSpan();
        int max = Encoding.UTF8.GetMaxByteCount(chars.Length);
        int length = max <= 255 ? -1 : Encoding.UTF8.GetByteCount(chars);
        if (length < 0 || length <= 255)
        {
            // Short: the exact length is only known after encoding, so reserve the length byte and fill it in.
            WriteHead(tag, TarsType.String1);
            var s = _output.GetSpan(1 + Math.Min(max, 255));
            int n = Encoding.UTF8.GetBytes(chars, s[1..]);
            s[0] = (byte)n;
            _output.Advance(1 + n);
        }
        else
        {
            WriteHead(tag, TarsType.String4);
            var s = _output.GetSpan(4 + length);
            BinaryPrimitives.WriteInt32BigEndian(s, length);
            Encoding.UTF8.GetBytes(chars, s[4..]);
            _output.Advance(4 + length);
        }
    }

    /// <summary>Writes already-encoded UTF-8 string bytes (STRING1 up to 255 bytes, STRING4 above).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="utf8">The string's bytes.</param>
    public readonly void WriteStringUtf8(int tag, ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= 255)
        {
            WriteHead(tag, TarsType.String1);
            var s = _output.GetSpan(1 + utf8.Length);
            s[0] = (byte)utf8.Length;
            utf8.CopyTo(s[1..]);
            _output.Advance(1 + utf8.Length);
        }
        else
        {
            WriteHead(tag, TarsType.String4);
            var s = _output.GetSpan(4 + utf8.Length);
            BinaryPrimitives.WriteInt32BigEndian(s, utf8.Length);
            utf8.CopyTo(s[4..]);
            _output.Advance(4 + utf8.Length);
        }
    }

    /// <summary>Writes a <c>vector&lt;byte&gt;</c> as SIMPLE_LIST: head, <c>00</c>, tag-0 length, raw bytes.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The bytes.</param>
    public readonly void WriteBytes(int tag, ReadOnlySpan<byte> value)
    {
        WriteSimpleListHeader(tag, value.Length);
        WriteRaw(value);
    }

    /// <summary>
    /// Writes the SIMPLE_LIST head and length only; the caller then writes exactly <paramref name="length"/> raw bytes
    /// (with <see cref="WriteRaw"/>). Lets a caller that knows the length stream the bytes without a copy.
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="length">The number of raw bytes that will follow.</param>
    public readonly void WriteSimpleListHeader(int tag, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        WriteHead(tag, TarsType.SimpleList);
        WriteHead(0, TarsType.Int1);
        WriteInt32(0, length);
    }

    /// <summary>Copies raw bytes to the output (no head); used after <see cref="WriteSimpleListHeader"/>.</summary>
    /// <param name="bytes">The bytes.</param>
    public readonly void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    /// <summary>Writes a LIST head and its element count; the caller then writes <paramref name="count"/> elements at tag 0.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="count">The number of elements that follow.</param>
    public readonly void WriteListHeader(int tag, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteHead(tag, TarsType.List);
        WriteInt32(0, count);
    }

    /// <summary>Writes a MAP head and its entry count; the caller then writes <paramref name="count"/> keys at tag 0, each followed by its value at tag 1.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="count">The number of entries that follow.</param>
    public readonly void WriteMapHeader(int tag, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteHead(tag, TarsType.Map);
        WriteInt32(0, count);
    }

    /// <summary>Writes a STRUCT_BEGIN head; the caller writes the fields and then <see cref="WriteStructEnd"/>.</summary>
    /// <param name="tag">The tag.</param>
    public readonly void WriteStructBegin(int tag) => WriteHead(tag, TarsType.StructBegin);

    /// <summary>Writes the STRUCT_END marker (byte <c>0B</c>).</summary>
    public readonly void WriteStructEnd() => WriteHead(0, TarsType.StructEnd);

    /// <summary>Writes a nested struct: STRUCT_BEGIN, its fields, STRUCT_END. A <c>null</c> struct is written with no fields.</summary>
    /// <typeparam name="T">The struct type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="value">The struct.</param>
    public void WriteStruct<T>(int tag, T? value) where T : ITarsWritable
    {
        WriteStructBegin(tag);
        value?.WriteTo(ref this);
        WriteStructEnd();
    }

    /// <summary>Writes a list (LIST; use <see cref="WriteBytes"/> for <c>vector&lt;byte&gt;</c>); <c>null</c> is written as empty.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="items">The elements.</param>
    /// <param name="writeElement">Writes one element at the tag it is given (0).</param>
    public void WriteList<T>(int tag, IReadOnlyList<T>? items, TarsValueWriter<T> writeElement)
    {
        ArgumentNullException.ThrowIfNull(writeElement);
        int count = items?.Count ?? 0;
        WriteListHeader(tag, count);
        for (int i = 0; i < count; i++) writeElement(ref this, 0, items![i]);
    }

    /// <summary>Writes a map (keys at tag 0, values at tag 1) in the dictionary's order; <c>null</c> is written as empty.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="map">The entries.</param>
    /// <param name="writeKey">Writes one key at the tag it is given (0).</param>
    /// <param name="writeValue">Writes one value at the tag it is given (1).</param>
    public void WriteMap<TKey, TValue>(int tag, IReadOnlyDictionary<TKey, TValue>? map,
        TarsValueWriter<TKey> writeKey, TarsValueWriter<TValue> writeValue) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(writeKey);
        ArgumentNullException.ThrowIfNull(writeValue);
        WriteMapHeader(tag, map?.Count ?? 0);
        if (map is null) return;
        if (map is Dictionary<TKey, TValue> dictionary)
        {
            // Dictionary's struct enumerator: no allocation on the hot path.
            foreach (var pair in dictionary)
            {
                writeKey(ref this, 0, pair.Key);
                writeValue(ref this, 1, pair.Value);
            }
            return;
        }
        foreach (var pair in map)
        {
            writeKey(ref this, 0, pair.Key);
            writeValue(ref this, 1, pair.Value);
        }
    }

    /// <summary>Writes a <c>map&lt;string, string&gt;</c> (the type of the packets' context and status maps).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="map">The entries; <c>null</c> is written as empty.</param>
    public void WriteStringMap(int tag, IReadOnlyDictionary<string, string>? map) =>
        WriteMap(tag, map, static (ref TarsWriter w, int t, string k) => w.WriteString(t, k),
            static (ref TarsWriter w, int t, string v) => w.WriteString(t, v));

    private static void ThrowTag(int tag) =>
        throw new ArgumentOutOfRangeException(nameof(tag), tag, "A Tars tag must be 0..255.");
}
