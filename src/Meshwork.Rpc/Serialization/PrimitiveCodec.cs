using System.Buffers;
using Nerdbank.MessagePack;

namespace Meshwork.Rpc.Serialization;

/// <summary>MessagePack for the handful of primitive message types, written without shapes. The typeof checks fold away per instantiation.</summary>
internal static class PrimitiveCodec
{
    public static bool TrySerialize<T>(IBufferWriter<byte> buffer, T value)
    {
        var w = new MessagePackWriter(buffer);
        if (typeof(T) == typeof(string)) { w.Write((string?)(object?)value); }
        else if (typeof(T) == typeof(int)) { w.Write((int)(object)value!); }
        else if (typeof(T) == typeof(long)) { w.Write((long)(object)value!); }
        else if (typeof(T) == typeof(bool)) { w.Write((bool)(object)value!); }
        else if (typeof(T) == typeof(double)) { w.Write((double)(object)value!); }
        else if (typeof(T) == typeof(byte[])) { w.Write((byte[]?)(object?)value); }
        else return false;
        w.Flush();
        return true;
    }

    public static bool TryDeserialize<T>(in ReadOnlySequence<byte> data, out T? value)
    {
        var r = new MessagePackReader(data);
        object? boxed;
        if (typeof(T) == typeof(string)) boxed = r.ReadString();
        else if (typeof(T) == typeof(int)) boxed = r.ReadInt32();
        else if (typeof(T) == typeof(long)) boxed = r.ReadInt64();
        else if (typeof(T) == typeof(bool)) boxed = r.ReadBoolean();
        else if (typeof(T) == typeof(double)) boxed = r.ReadDouble();
        else if (typeof(T) == typeof(byte[])) boxed = r.ReadBytes()?.ToArray();
        else { value = default; return false; }
        value = (T?)boxed;
        return true;
    }
}
