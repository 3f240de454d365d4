using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Tars;

/// <summary>
/// Reads the Tars binary encoding from a contiguous buffer, by tag, the way every TARS implementation does: to read
/// field T it skips fields with smaller tags (unknown to this reader), stops at a larger tag or STRUCT_END (the field is
/// absent: a required field is then a <see cref="TarsDecodeException"/>, an optional one yields the given default).
/// </summary>
/// <remarks>
/// Hostile input is safe: every declared length or count is checked against the bytes that are left before anything
/// is allocated or skipped, nesting (structs, and lists/maps while skipping) is limited to <see cref="MaxDepth"/>, and
/// every failure is a <see cref="TarsDecodeException"/> naming the tag and byte offset. Reading is forward-only and
/// every step consumes at least one byte, so decoding always ends.
/// </remarks>
public ref struct TarsReader
{
    /// <summary>Default nesting limit: deep enough for any real IDL, shallow enough that hostile nesting cannot exhaust the stack.</summary>
    public const int DefaultMaxDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _maxDepth;
    private int _position;
    private int _depth;

    /// <summary>Creates a reader over <paramref name="buffer"/> with the default nesting limit.</summary>
    /// <param name="buffer">The encoded bytes (a top-level buffer: fields until the end).</param>
    public TarsReader(ReadOnlySpan<byte> buffer)
        : this(buffer, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The encoded bytes (a top-level buffer: fields until the end).</param>
    /// <param name="maxDepth">Nesting limit for structs (and for containers while skipping), at least 1.</param>
    public TarsReader(ReadOnlySpan<byte> buffer, int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        _buffer = buffer;
        _maxDepth = maxDepth;
    }

    /// <summary>Current byte offset.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left after <see cref="Position"/>.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool End => _position >= _buffer.Length;

    /// <summary>The nesting limit.</summary>
    public readonly int MaxDepth => _maxDepth;

    /// <summary>Current nesting depth (0 at top level).</summary>
    public readonly int Depth => _depth;

    // ------------------------------------------------------------------ heads and field lookup

    /// <summary>Reads the next head without consuming it.</summary>
    /// <returns>The head.</returns>
    /// <exception cref="TarsDecodeException">No head is left, or its type code is invalid.</exception>
    public readonly TarsHead PeekHead()
    {
        if (!TryPeekHead(out var head)) throw Error("expected a field head but the buffer ended");
        return head;
    }

    /// <summary>Reads the next head without consuming it; false at the end of the buffer.</summary>
    /// <param name="head">The head.</param>
    /// <returns>False when the buffer is exhausted.</returns>
    /// <exception cref="TarsDecodeException">The head is truncated or its type code is invalid.</exception>
    public readonly bool TryPeekHead(out TarsHead head)
    {
        if (_position >= _buffer.Length)
        {
            head = default;
            return false;
        }
        byte b = _buffer[_position];
        int type = b & 0x0F;
        int tag = b >> 4;
        if (tag == 15)
        {
            if (_position + 1 >= _buffer.Length) throw Error("field head with an extended tag is truncated");
            tag = _buffer[_position + 1];
        }
        if (type > (int)TarsType.SimpleList) throw Error($"invalid type code {type} in field head (tag {tag})");
        head = new TarsHead(tag, (TarsType)type);
        return true;
    }

    /// <summary>Consumes and returns the next head.</summary>
    /// <returns>The head.</returns>
    /// <exception cref="TarsDecodeException">No valid head is left.</exception>
    public TarsHead ReadHead()
    {
        var head = PeekHead();
        _position += head.EncodedLength;
        return head;
    }

    /// <summary>
    /// Moves to field <paramref name="tag"/>: skips fields with smaller tags, consumes the field's head and returns true;
    /// returns false (consuming nothing more) when the next field has a larger tag, is STRUCT_END, or the buffer ended.
    /// </summary>
    /// <param name="tag">The tag to find.</param>
    /// <param name="type">The found field's wire type.</param>
    /// <returns>True when the field is present.</returns>
    public bool TrySeekField(int tag, out TarsType type)
    {
        while (TryPeekHead(out var head))
        {
            if (head.Type == TarsType.StructEnd || head.Tag > tag) break;
            _position += head.EncodedLength;
            if (head.Tag == tag)
            {
                type = head.Type;
                return true;
            }
            SkipPayload(head);
        }
        type = default;
        return false;
    }

    /// <summary>Consumes one complete field (head and payload), whatever its type.</summary>
    public void SkipField() => SkipPayload(ReadHead());

    /// <summary>
    /// Skips fields up to and including the next STRUCT_END at this level (what a reader does after the last field it
    /// knows in a nested struct).
    /// </summary>
    /// <exception cref="TarsDecodeException">The buffer ends before the STRUCT_END.</exception>
    public void SkipToStructEnd()
    {
        while (true)
        {
            var head = ReadHead();
            if (head.Type == TarsType.StructEnd) return;
            SkipPayload(head);
        }
    }

    // ------------------------------------------------------------------ scalars

    /// <summary>Reads a bool (ZERO or INT1; any non-zero value is true, like C++ and Go).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public bool ReadBool(int tag, bool required, bool defaultValue = false) =>
        TrySeekField(tag, out var type) ? ReadIntegerPayload(tag, type, TarsType.Int1) != 0 : Absent(tag, required, defaultValue);

    /// <summary>Reads a TARS <c>byte</c> (ZERO or INT1).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public sbyte ReadInt8(int tag, bool required, sbyte defaultValue = 0) =>
        TrySeekField(tag, out var type) ? (sbyte)ReadIntegerPayload(tag, type, TarsType.Int1) : Absent(tag, required, defaultValue);

    /// <summary>Reads a TARS <c>unsigned byte</c> (short rules on the wire); a value outside 0..255 is a decode error.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public byte ReadUInt8(int tag, bool required, byte defaultValue = 0)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        long v = ReadIntegerPayload(tag, type, TarsType.Int2);
        if (v is < 0 or > byte.MaxValue) throw Error($"field tag {tag}: {v} is out of range for unsigned byte");
        return (byte)v;
    }

    /// <summary>Reads a <c>short</c> (ZERO, INT1 or INT2).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public short ReadInt16(int tag, bool required, short defaultValue = 0) =>
        TrySeekField(tag, out var type) ? (short)ReadIntegerPayload(tag, type, TarsType.Int2) : Absent(tag, required, defaultValue);

    /// <summary>Reads a TARS <c>unsigned short</c> (int rules on the wire); a value outside 0..65535 is a decode error.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public ushort ReadUInt16(int tag, bool required, ushort defaultValue = 0)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        long v = ReadIntegerPayload(tag, type, TarsType.Int4);
        if (v is < 0 or > ushort.MaxValue) throw Error($"field tag {tag}: {v} is out of range for unsigned short");
        return (ushort)v;
    }

    /// <summary>Reads an <c>int</c> or enum value (ZERO, INT1, INT2 or INT4).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public int ReadInt32(int tag, bool required, int defaultValue = 0) =>
        TrySeekField(tag, out var type) ? (int)ReadIntegerPayload(tag, type, TarsType.Int4) : Absent(tag, required, defaultValue);

    /// <summary>Reads a TARS <c>unsigned int</c> (long rules on the wire); a value outside 0..4294967295 is a decode error.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public uint ReadUInt32(int tag, bool required, uint defaultValue = 0)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        long v = ReadIntegerPayload(tag, type, TarsType.Int8);
        if (v is < 0 or > uint.MaxValue) throw Error($"field tag {tag}: {v} is out of range for unsigned int");
        return (uint)v;
    }

    /// <summary>Reads a <c>long</c> (ZERO, INT1, INT2, INT4 or INT8).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public long ReadInt64(int tag, bool required, long defaultValue = 0) =>
        TrySeekField(tag, out var type) ? ReadIntegerPayload(tag, type, TarsType.Int8) : Absent(tag, required, defaultValue);

    /// <summary>Reads a float (ZERO or FLOAT).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public float ReadFloat(int tag, bool required, float defaultValue = 0)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        switch (type)
        {
            case TarsType.Zero: return 0f;
            case TarsType.Float: return BinaryPrimitives.ReadSingleBigEndian(Take(4, tag));
            default: throw Mismatch(tag, type, "float");
        }
    }

    /// <summary>Reads a double (ZERO, DOUBLE, or FLOAT as C++ and Go also accept).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public double ReadDouble(int tag, bool required, double defaultValue = 0)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        switch (type)
        {
            case TarsType.Zero: return 0d;
            case TarsType.Float: return BinaryPrimitives.ReadSingleBigEndian(Take(4, tag));
            case TarsType.Double: return BinaryPrimitives.ReadDoubleBigEndian(Take(8, tag));
            default: throw Mismatch(tag, type, "double");
        }
    }

    /// <summary>Reads a string (STRING1 or STRING4) as UTF-8 (invalid sequences become U+FFFD).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The value.</returns>
    public string ReadString(int tag, bool required, string defaultValue = "")
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue);
        var bytes = ReadStringPayload(tag, type);
        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Reads a string's raw bytes without decoding them (no allocation); empty when absent and optional.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <returns>A slice of the reader's buffer.</returns>
    public ReadOnlySpan<byte> ReadStringUtf8(int tag, bool required)
    {
        if (!TrySeekField(tag, out var type))
        {
            Absent(tag, required, 0);
            return default;
        }
        return ReadStringPayload(tag, type);
    }

    // ------------------------------------------------------------------ byte vectors

    /// <summary>
    /// Reads a <c>vector&lt;byte&gt;</c> as a slice of the reader's buffer (no copy). SIMPLE_LIST is the normal form; a
    /// LIST of INT1/ZERO elements (accepted by C++ and Go) is refused here because it cannot be sliced: use
    /// <see cref="ReadBytes"/>. Empty when absent and optional.
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <returns>The bytes.</returns>
    public ReadOnlySpan<byte> ReadBytesSpan(int tag, bool required)
    {
        if (!TrySeekField(tag, out var type))
        {
            Absent(tag, required, 0);
            return default;
        }
        if (type != TarsType.SimpleList) throw Mismatch(tag, type, "vector<byte> (SIMPLE_LIST)");
        return ReadSimpleListPayload(tag);
    }

    /// <summary>
    /// Reads a <c>vector&lt;byte&gt;</c> into a new array: SIMPLE_LIST, or a LIST of INT1/ZERO elements (as C++ and Go
    /// accept). Returns <paramref name="defaultValue"/> (or an empty array) when absent and optional.
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional; null means an empty array.</param>
    /// <returns>The bytes.</returns>
    public byte[] ReadBytes(int tag, bool required, byte[]? defaultValue = null)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, defaultValue ?? []);
        if (type == TarsType.SimpleList) return ReadSimpleListPayload(tag).ToArray();
        if (type != TarsType.List) throw Mismatch(tag, type, "vector<byte>");
        int count = ReadCount(tag, 1);
        var result = new byte[count];
        for (int i = 0; i < count; i++) result[i] = (byte)ReadInt8(0, true);
        return result;
    }

    // ------------------------------------------------------------------ containers

    /// <summary>
    /// Reads a LIST head and its count: the caller then reads that many elements at tag 0. The count is checked against
    /// the bytes left (each element needs at least one), so it is safe to size a collection from it.
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="count">The element count (0 when absent).</param>
    /// <returns>False when the field is absent and optional.</returns>
    public bool TryReadListHeader(int tag, bool required, out int count)
    {
        count = 0;
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, false);
        if (type != TarsType.List) throw Mismatch(tag, type, "vector (LIST)");
        count = ReadCount(tag, 1);
        return true;
    }

    /// <summary>
    /// Reads a MAP head and its entry count: the caller then reads that many key (tag 0) / value (tag 1) pairs. The count
    /// is checked against the bytes left (each entry needs at least two).
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="count">The entry count (0 when absent).</param>
    /// <returns>False when the field is absent and optional.</returns>
    public bool TryReadMapHeader(int tag, bool required, out int count)
    {
        count = 0;
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, false);
        if (type != TarsType.Map) throw Mismatch(tag, type, "map (MAP)");
        count = ReadCount(tag, 2);
        return true;
    }

    /// <summary>Reads a list; returns <paramref name="defaultValue"/> (or a new empty list) when absent and optional.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="readElement">Reads one element at the tag it is given (0), as required.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The list.</returns>
    public List<T> ReadList<T>(int tag, bool required, TarsValueReader<T> readElement, List<T>? defaultValue = null)
    {
        ArgumentNullException.ThrowIfNull(readElement);
        if (!TryReadListHeader(tag, required, out int count)) return defaultValue ?? [];
        var list = new List<T>(count);
        for (int i = 0; i < count; i++) list.Add(readElement(ref this, 0));
        return list;
    }

    /// <summary>
    /// Reads a map; returns <paramref name="defaultValue"/> (or a new empty map) when absent and optional. A repeated key
    /// keeps the last value (as C++ <c>std::map</c> assignment and Node do).
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="readKey">Reads one key at the tag it is given (0), as required.</param>
    /// <param name="readValue">Reads one value at the tag it is given (1), as required.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The map.</returns>
    public Dictionary<TKey, TValue> ReadMap<TKey, TValue>(int tag, bool required, TarsValueReader<TKey> readKey,
        TarsValueReader<TValue> readValue, Dictionary<TKey, TValue>? defaultValue = null) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(readKey);
        ArgumentNullException.ThrowIfNull(readValue);
        if (!TryReadMapHeader(tag, required, out int count)) return defaultValue ?? [];
        var map = new Dictionary<TKey, TValue>(count);
        for (int i = 0; i < count; i++)
        {
            var key = readKey(ref this, 0);
            map[key] = readValue(ref this, 1);
        }
        return map;
    }

    /// <summary>Reads a <c>map&lt;string, string&gt;</c> (the type of the packets' context and status maps).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <returns>The map (empty when absent and optional).</returns>
    public Dictionary<string, string> ReadStringMap(int tag, bool required) =>
        ReadMap(tag, required, static (ref TarsReader r, int t) => r.ReadString(t, true),
            static (ref TarsReader r, int t) => r.ReadString(t, true));

    // ------------------------------------------------------------------ structs

    /// <summary>
    /// Reads a nested struct: STRUCT_BEGIN, then <typeparamref name="T"/>'s fields through
    /// <see cref="ITarsStruct{TSelf}.ReadFrom"/>, then skips unknown trailing fields and the STRUCT_END. Returns
    /// <paramref name="defaultValue"/> when absent and optional.
    /// </summary>
    /// <typeparam name="T">The struct type.</typeparam>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <param name="defaultValue">Value when absent and optional.</param>
    /// <returns>The struct.</returns>
    /// <exception cref="TarsDecodeException">Also when nesting exceeds <see cref="MaxDepth"/>.</exception>
    public T ReadStruct<T>(int tag, bool required, T defaultValue) where T : ITarsStruct<T>
    {
        if (!TryReadStructBegin(tag, required)) return defaultValue;
        var value = T.ReadFrom(ref this);
        EndStruct();
        return value;
    }

    /// <summary>
    /// Low-level form of <see cref="ReadStruct{T}"/>: consumes STRUCT_BEGIN at <paramref name="tag"/> and enters one
    /// nesting level; the caller reads fields and then calls <see cref="EndStruct"/>.
    /// </summary>
    /// <param name="tag">The tag.</param>
    /// <param name="required">Whether absence is an error.</param>
    /// <returns>False when the field is absent and optional.</returns>
    public bool TryReadStructBegin(int tag, bool required)
    {
        if (!TrySeekField(tag, out var type)) return Absent(tag, required, false);
        if (type != TarsType.StructBegin) throw Mismatch(tag, type, "struct");
        Enter(tag);
        return true;
    }

    /// <summary>Skips unknown trailing fields and the STRUCT_END of the struct entered by <see cref="TryReadStructBegin"/>, and leaves its nesting level.</summary>
    public void EndStruct()
    {
        if (_depth == 0) throw new InvalidOperationException("EndStruct without a matching TryReadStructBegin.");
        SkipToStructEnd();
        _depth--;
    }

    // ------------------------------------------------------------------ internals

    private long ReadIntegerPayload(int tag, TarsType type, TarsType widest)
    {
        if (type == TarsType.Zero) return 0;
        if (type > widest) throw Mismatch(tag, type, widest switch
        {
            TarsType.Int1 => "byte/bool",
            TarsType.Int2 => "short",
            TarsType.Int4 => "int",
            _ => "long",
        });
        return type switch
        {
            TarsType.Int1 => (sbyte)Take(1, tag)[0],
            TarsType.Int2 => BinaryPrimitives.ReadInt16BigEndian(Take(2, tag)),
            TarsType.Int4 => BinaryPrimitives.ReadInt32BigEndian(Take(4, tag)),
            _ => BinaryPrimitives.ReadInt64BigEndian(Take(8, tag)),
        };
    }

    private ReadOnlySpan<byte> ReadStringPayload(int tag, TarsType type)
    {
        long length = type switch
        {
            TarsType.String1 => Take(1, tag)[0],
            TarsType.String4 => BinaryPrimitives.ReadUInt32BigEndian(Take(4, tag)),
            _ => throw Mismatch(tag, type, "string"),
        };
        return TakeDeclared(length, tag, "string");
    }

    private ReadOnlySpan<byte> ReadSimpleListPayload(int tag)
    {
        var element = ReadHead();
        if (element.Type != TarsType.Int1)
            throw Error($"field tag {tag}: SIMPLE_LIST element head must be INT1, found {element.Type}");
        long length = ReadInt32(0, true);
        if (length < 0) throw Error($"field tag {tag}: negative byte-vector length {length}");
        return TakeDeclared(length, tag, "byte vector");
    }

    private int ReadCount(int tag, int minBytesPerItem)
    {
        int count = ReadInt32(0, true);
        if (count < 0) throw Error($"field tag {tag}: negative element count {count}");
        if ((long)count * minBytesPerItem > Remaining)
            throw Error($"field tag {tag}: element count {count} exceeds the {Remaining} bytes left");
        return count;
    }

    private void SkipPayload(TarsHead head)
    {
        switch (head.Type)
        {
            case TarsType.Int1: Take(1, head.Tag); break;
            case TarsType.Int2: Take(2, head.Tag); break;
            case TarsType.Int4: Take(4, head.Tag); break;
            case TarsType.Int8: Take(8, head.Tag); break;
            case TarsType.Float: Take(4, head.Tag); break;
            case TarsType.Double: Take(8, head.Tag); break;
            case TarsType.String1:
            case TarsType.String4: ReadStringPayload(head.Tag, head.Type); break;
            case TarsType.SimpleList: ReadSimpleListPayload(head.Tag); break;
            case TarsType.Zero:
            case TarsType.StructEnd: break;
            case TarsType.List:
            case TarsType.Map:
            {
                int perItem = head.Type == TarsType.Map ? 2 : 1;
                int items = ReadCount(head.Tag, perItem) * perItem;
                Enter(head.Tag);
                for (int i = 0; i < items; i++) SkipField();
                _depth--;
                break;
            }
            case TarsType.StructBegin:
                Enter(head.Tag);
                SkipToStructEnd();
                _depth--;
                break;
            default:
                throw Error($"invalid type code {(int)head.Type} (tag {head.Tag})");
        }
    }

    private void Enter(int tag)
    {
        if (_depth >= _maxDepth) throw Error($"field tag {tag}: nesting deeper than the limit of {_maxDepth}");
        _depth++;
    }

    private ReadOnlySpan<byte> Take(int count, int tag)
    {
        if (count > Remaining) throw Error($"field tag {tag}: needs {count} bytes but {Remaining} are left");
        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private ReadOnlySpan<byte> TakeDeclared(long length, int tag, string what)
    {
        if (length > Remaining) throw Error($"field tag {tag}: declared {what} length {length} exceeds the {Remaining} bytes left");
        return Take((int)length, tag);
    }

    private readonly T Absent<T>(int tag, bool required, T defaultValue)
    {
        if (required) throw Error($"required field tag {tag} is missing");
        return defaultValue;
    }

    private readonly TarsDecodeException Mismatch(int tag, TarsType found, string expected) =>
        Error($"field tag {tag}: wire type {found} cannot be read as {expected}");

    private readonly TarsDecodeException Error(string message) => new(message, _position);
}
