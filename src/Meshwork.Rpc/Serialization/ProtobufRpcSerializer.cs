using System.Buffers;
using Google.Protobuf;

namespace Meshwork.Rpc.Serialization;

/// <summary>Google.Protobuf serializer for generated message classes (<c>IMessage&lt;T&gt;</c>), zero-copy through <see cref="IBufferWriter{T}"/>.</summary>
public sealed class ProtobufRpcSerializer : ISerializer
{
    /// <summary>The shared instance (the serializer has no settings).</summary>
    public static ProtobufRpcSerializer Default { get; } = new();

    /// <inheritdoc/>
    public byte Id => SerializerIds.Protobuf;

    /// <inheritdoc/>
    public string Name => "protobuf";

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return;
        if (value is not IBufferMessage message)
        {
            throw new RpcException(StatusCode.Internal, $"{typeof(T).FullName} is not a Google.Protobuf message; the protobuf serializer cannot write it");
        }
        message.WriteTo(writer);
    }

    /// <inheritdoc/>
    public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return default!;
        if (type.ProtobufParser is not MessageParser parser)
        {
            throw new RpcException(StatusCode.Internal, $"{typeof(T).FullName} is not a Google.Protobuf message; the protobuf serializer cannot read it");
        }
        try
        {
            return (T)parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"cannot decode {MessageType<T>.Name} from Protobuf: {ex.Message}", ex);
        }
    }
}
