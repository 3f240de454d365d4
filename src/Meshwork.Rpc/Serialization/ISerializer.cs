using System.Buffers;

namespace Meshwork.Rpc.Serialization;

/// <summary>
/// Turns messages into bytes and back. Implementations must be thread-safe. The <see cref="Id"/> travels in the
/// frame header so the receiver decodes with the same serializer; ids 1–3 are taken by the built-ins
/// (MessagePack, JSON, Protobuf), 0 is reserved, and 100+ are free for applications.
/// </summary>
public interface ISerializer
{
    /// <summary>Wire id (header key 5): 1–3 built-in, 100+ for applications, 0 reserved.</summary>
    byte Id { get; }

    /// <summary>Name used in error messages, e.g. <c>msgpack</c>.</summary>
    string Name { get; }

    /// <summary>Writes <paramref name="value"/> to <paramref name="writer"/>. <see cref="Empty"/> must write nothing.</summary>
    void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type);

    /// <summary>Reads one message from <paramref name="data"/>; throws on malformed input (the caller turns it into <see cref="StatusCode.InvalidArgument"/>).</summary>
    T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type);
}

/// <summary>Ids of the built-in serializers.</summary>
public static class SerializerIds
{
    /// <summary><see cref="MessagePackRpcSerializer"/>, the default.</summary>
    public const byte MessagePack = 1;
    /// <summary><see cref="JsonRpcSerializer"/>.</summary>
    public const byte Json = 2;
    /// <summary><see cref="ProtobufRpcSerializer"/>.</summary>
    public const byte Protobuf = 3;
}
