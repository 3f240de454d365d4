using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Nerdbank.MessagePack;

namespace Meshwork.Rpc.Serialization;

/// <summary>The reference types among the primitive message types (see <see cref="PrimitiveCodec"/>).</summary>
internal enum PrimitiveReference : byte
{
    None,
    String,
    Bytes,
}

/// <summary>
/// MessagePack for the handful of primitive message types, written without shapes. For value types the typeof checks
/// fold away per instantiation. Reference types share one compiled instantiation, where every typeof check is a
/// run-time lookup: those are told apart by <see cref="MessageType{T}.Reference"/>, worked out once per message type.
/// Byte arrays, the payload of raw-bytes contracts, are framed by hand: a bin header and a copy.
/// </summary>
internal static class PrimitiveCodec
{
    public static PrimitiveReference ReferenceOf<T>() =>
        typeof(T) == typeof(string) ? PrimitiveReference.String
        : typeof(T) == typeof(byte[]) ? PrimitiveReference.Bytes
        : PrimitiveReference.None;

    public static bool TrySerialize<T>(IBufferWriter<byte> buffer, T value, MessageType<T> type)
    {
        if (!typeof(T).IsValueType)
        {
            switch (type.Reference)
            {
                case PrimitiveReference.Bytes:
                    WriteBin(buffer, Unsafe.As<T, byte[]?>(ref value));
                    return true;
                case PrimitiveReference.String:
                    var sw = new MessagePackWriter(buffer);
                    sw.Write(Unsafe.As<T, string?>(ref value));
                    sw.Flush();
                    return true;
                default:
                    return false;
            }
        }
        var w = new MessagePackWriter(buffer);
        if (typeof(T) == typeof(int)) { w.Write((int)(object)value!); }
        else if (typeof(T) == typeof(long)) { w.Write((long)(object)value!); }
        else if (typeof(T) == typeof(bool)) { w.Write((bool)(object)value!); }
        else if (typeof(T) == typeof(double)) { w.Write((double)(object)value!); }
        else return false;
        w.Flush();
        return true;
    }

    public static bool TryDeserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type, out T? value)
    {
        if (!typeof(T).IsValueType)
        {
            switch (type.Reference)
            {
                case PrimitiveReference.Bytes:
                    byte[]? bytes = data.IsSingleSegment && TryReadBin(data.FirstSpan, out var read) ? read : new MessagePackReader(data).ReadBytes()?.ToArray();
                    value = Unsafe.As<byte[]?, T?>(ref bytes);
                    return true;
                case PrimitiveReference.String:
                    string? text = new MessagePackReader(data).ReadString();
                    value = Unsafe.As<string?, T?>(ref text);
                    return true;
                default:
                    value = default;
                    return false;
            }
        }
        var r = new MessagePackReader(data);
        object? boxed;
        if (typeof(T) == typeof(int)) boxed = r.ReadInt32();
        else if (typeof(T) == typeof(long)) boxed = r.ReadInt64();
        else if (typeof(T) == typeof(bool)) boxed = r.ReadBoolean();
        else if (typeof(T) == typeof(double)) boxed = r.ReadDouble();
        else { value = default; return false; }
        value = (T?)boxed;
        return true;
    }

    /// <summary>Writes <paramref name="bytes"/> as MessagePack bin 8/16/32 (nil for null), as MessagePackWriter does.</summary>
    private static void WriteBin(IBufferWriter<byte> buffer, byte[]? bytes)
    {
        if (bytes is null)
        {
            buffer.GetSpan(1)[0] = 0xC0;
            buffer.Advance(1);
            return;
        }
        int length = bytes.Length;
        int header = length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5;
        var span = buffer.GetSpan(header + length);
        switch (header)
        {
            case 2: span[0] = 0xC4; span[1] = (byte)length; break;
            case 3: span[0] = 0xC5; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length); break;
            default: span[0] = 0xC6; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length); break;
        }
        bytes.CopyTo(span[header..]);
        buffer.Advance(header + length);
    }

    /// <summary>Reads a bin 8/16/32 value that is whole in <paramref name="source"/>; anything else (nil, a truncated
    /// value, another type) is left to MessagePackReader, for its result or its error.</summary>
    private static bool TryReadBin(ReadOnlySpan<byte> source, out byte[]? value)
    {
        value = null;
        if (source.Length < 2) return false;
        int header;
        uint length;
        switch (source[0])
        {
            case 0xC4:
                (header, length) = (2, source[1]);
                break;
            case 0xC5 when source.Length >= 3:
                (header, length) = (3, BinaryPrimitives.ReadUInt16BigEndian(source[1..]));
                break;
            case 0xC6 when source.Length >= 5:
                (header, length) = (5, BinaryPrimitives.ReadUInt32BigEndian(source[1..]));
                break;
            default:
                return false;
        }
        if (length > (uint)(source.Length - header)) return false;
        value = source.Slice(header, (int)length).ToArray();
        return true;
    }
}
