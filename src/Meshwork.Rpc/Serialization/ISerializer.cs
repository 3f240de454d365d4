using System.Buffers;

namespace Meshwork.Rpc.Serialization;

/// <summary>
/// Turns messages into bytes and back. Implementations must be thread-safe. The <see cref="Id"/> travels in the
/// frame header so the receiver decodes with the same serializer; ids 1–3 are taken by the built-ins
/// (MessagePack, JSON, Protobuf), 0 is reserved, and 100+ are free for applications.
/// </summary>
public interface ISerializer
{
    byte Id { get; }

    string Name { get; }

    void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type);

    T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type);
}

/// <summary>Ids of the built-in serializers.</summary>
public static class SerializerIds
{
    public const byte MessagePack = 1;
    public const byte Json = 2;
    public const byte Protobuf = 3;
}
