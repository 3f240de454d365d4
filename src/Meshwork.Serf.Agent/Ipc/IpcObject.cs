using System.Buffers.Binary;
using System.Text;
using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>
/// Decodes one msgpack object of a client RPC stream into plain values: maps become
/// <see cref="Dictionary{TKey,TValue}"/> keyed by string, arrays <see cref="List{T}"/>, str/bin/raw stay
/// <see cref="byte"/> arrays (a field says whether it wants text or bytes), integers <see cref="long"/> or
/// <see cref="ulong"/>. The stream has no framing, so <see cref="Measure"/> first finds where an object ends.
/// </summary>
internal static class IpcObject
{
    /// <summary>Deepest nesting accepted; the protocol's deepest body is three levels.</summary>
    public const int MaxDepth = 16;

    /// <summary>
    /// The length of the complete object at the start of <paramref name="data"/>, or -1 when more bytes are needed.
    /// Refuses declared lengths above <paramref name="maxSize"/> before waiting for them.
    /// </summary>
    /// <exception cref="WireFormatException">The bytes are not msgpack, nest too deep, or declare too much.</exception>
    public static int Measure(ReadOnlySpan<byte> data, int maxSize)
    {
        int pos = 0;
        long pending = 1; // objects still to read at this point
        Span<long> stack = stackalloc long[MaxDepth + 1];
        int depth = 0;
        while (true)
        {
            if (pending == 0)
            {
                if (depth == 0) return pos;
                pending = stack[--depth];
                continue;
            }
            if (pos >= data.Length) return -1;
            byte b = data[pos++];
            pending--;
            long skip = 0, children = 0;
            int need;
            switch (b)
            {
                case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3: break;
                case >= 0xa0 and <= 0xbf: skip = b & 0x1f; break;
                case >= 0x80 and <= 0x8f: children = 2 * (b & 0x0f); break;
                case >= 0x90 and <= 0x9f: children = b & 0x0f; break;
                case 0xcc or 0xd0: skip = 1; break;
                case 0xcd or 0xd1: skip = 2; break;
                case 0xce or 0xd2 or 0xca: skip = 4; break;
                case 0xcf or 0xd3 or 0xcb: skip = 8; break;
                case 0xd4: skip = 2; break;
                case 0xd5: skip = 3; break;
                case 0xd6: skip = 5; break;
                case 0xd7: skip = 9; break;
                case 0xd8: skip = 17; break;
                case 0xd9 or 0xc4 or 0xc7:
                    need = 1;
                    if (pos + need > data.Length) return -1;
                    skip = data[pos] + (b == 0xc7 ? 1 : 0);
                    pos += need;
                    break;
                case 0xda or 0xc5 or 0xc8 or 0xdc or 0xde:
                    need = 2;
                    if (pos + need > data.Length) return -1;
                    long n16 = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
                    pos += need;
                    if (b == 0xdc) children = n16;
                    else if (b == 0xde) children = 2 * n16;
                    else skip = n16 + (b == 0xc8 ? 1 : 0);
                    break;
                case 0xdb or 0xc6 or 0xc9 or 0xdd or 0xdf:
                    need = 4;
                    if (pos + need > data.Length) return -1;
                    long n32 = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
                    pos += need;
                    if (b == 0xdd) children = n32;
                    else if (b == 0xdf) children = 2 * n32;
                    else skip = n32 + (b == 0xc9 ? 1 : 0);
                    break;
                default: throw new WireFormatException($"invalid msgpack byte 0x{b:x2}");
            }
            if (skip > 0)
            {
                if (pos + skip > maxSize) throw new WireFormatException($"object larger than the {maxSize}-byte limit");
                if (pos + skip > data.Length) return -1;
                pos += (int)skip;
            }
            if (children > 0)
            {
                // Every child takes at least one byte, so a count above the limit cannot be honest.
                if (pos + children > maxSize) throw new WireFormatException($"object larger than the {maxSize}-byte limit");
                if (depth == MaxDepth) throw new WireFormatException($"object nests deeper than {MaxDepth} levels");
                stack[depth++] = pending;
                pending = children;
            }
            if (pos > maxSize) throw new WireFormatException($"object larger than the {maxSize}-byte limit");
        }
    }

    /// <summary>Decodes the object at the reader's position (already measured, so complete).</summary>
    public static object? Read(ref MsgPackReader reader, int depth = 0)
    {
        if (depth > MaxDepth) throw new WireFormatException($"object nests deeper than {MaxDepth} levels");
        byte b = reader.PeekByte();
        switch (b)
        {
            case 0xc0:
                reader.TryReadNil();
                return null;
            case 0xc2 or 0xc3:
                return reader.ReadBool();
            case <= 0x7f or 0xcc or 0xcd or 0xce or 0xcf:
                return reader.ReadUInt64();
            case >= 0xe0 or 0xd0 or 0xd1 or 0xd2 or 0xd3:
                return reader.ReadInt();
            case 0xca or 0xcb:
                return reader.ReadDouble();
            case (>= 0xa0 and <= 0xbf) or 0xd9 or 0xda or 0xdb or 0xc4 or 0xc5 or 0xc6:
                return reader.ReadBytes();
            case (>= 0x80 and <= 0x8f) or 0xde or 0xdf:
            {
                int count = reader.ReadMapHeader();
                var map = new Dictionary<string, object?>(Math.Min(count, 64), StringComparer.Ordinal);
                for (int i = 0; i < count; i++)
                {
                    var key = reader.ReadBytes() ?? throw new WireFormatException("map key is nil");
                    map[Encoding.UTF8.GetString(key)] = Read(ref reader, depth + 1);
                }
                return map;
            }
            case (>= 0x90 and <= 0x9f) or 0xdc or 0xdd:
            {
                int count = reader.ReadArrayHeader();
                var list = new List<object?>(Math.Min(count, 64));
                for (int i = 0; i < count; i++) list.Add(Read(ref reader, depth + 1));
                return list;
            }
            default:
                reader.Skip(); // extension types: no command uses them
                return null;
        }
    }
}

/// <summary>Typed access to the fields of a decoded request body, with serf's zero values for absent fields.</summary>
internal readonly struct IpcBody(Dictionary<string, object?>? fields)
{
    public bool Has(string name) => fields?.ContainsKey(name) == true;

    private object? Get(string name) => fields is not null && fields.TryGetValue(name, out var v) ? v : null;

    public string String(string name) => Get(name) switch
    {
        null => "",
        byte[] b => Encoding.UTF8.GetString(b),
        var other => throw new WireFormatException($"field {name}: expected a string, got {Describe(other)}"),
    };

    public byte[] Bytes(string name) => Get(name) switch
    {
        null => [],
        byte[] b => b,
        var other => throw new WireFormatException($"field {name}: expected bytes, got {Describe(other)}"),
    };

    public long Int(string name) => Get(name) switch
    {
        null => 0,
        long l => l,
        ulong u when u <= long.MaxValue => (long)u,
        var other => throw new WireFormatException($"field {name}: expected an integer, got {Describe(other)}"),
    };

    public ulong UInt(string name) => Get(name) switch
    {
        null => 0,
        ulong u => u,
        long l when l >= 0 => (ulong)l,
        var other => throw new WireFormatException($"field {name}: expected an unsigned integer, got {Describe(other)}"),
    };

    public bool Bool(string name) => Get(name) switch
    {
        null => false,
        bool b => b,
        var other => throw new WireFormatException($"field {name}: expected a boolean, got {Describe(other)}"),
    };

    public List<string> Strings(string name) => Get(name) switch
    {
        null => [],
        List<object?> l => l.Select(x => x is byte[] b ? Encoding.UTF8.GetString(b)
            : throw new WireFormatException($"field {name}: expected a list of strings")).ToList(),
        var other => throw new WireFormatException($"field {name}: expected a list, got {Describe(other)}"),
    };

    public Dictionary<string, string> StringMap(string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (Get(name))
        {
            case null:
                return result;
            case Dictionary<string, object?> m:
                foreach (var (k, v) in m)
                {
                    result[k] = v switch
                    {
                        null => "",
                        byte[] b => Encoding.UTF8.GetString(b),
                        _ => throw new WireFormatException($"field {name}.{k}: expected a string"),
                    };
                }
                return result;
            case var other:
                throw new WireFormatException($"field {name}: expected a map, got {Describe(other)}");
        }
    }

    private static string Describe(object? value) => value switch
    {
        Dictionary<string, object?> => "a map",
        List<object?> => "a list",
        byte[] => "bytes",
        _ => value?.GetType().Name.ToLowerInvariant() ?? "nil",
    };
}
