using System.Buffers;
using Nerdbank.MessagePack;
using PolyType;

namespace Meshwork.Rpc.Serialization;

/// <summary>
/// The default serializer: MessagePack through Nerdbank.MessagePack with source-generated shapes (NativeAOT-clean).
/// Strings, integers, booleans, doubles and byte arrays are written directly, so simple contracts need no shapes;
/// other types need [GenerateShape] on the type or an <see cref="ITypeShapeProvider"/> passed here.
/// </summary>
public sealed class MessagePackRpcSerializer : ISerializer
{
    private readonly MessagePackSerializer _serializer;
    private readonly ITypeShapeProvider? _provider;

    /// <summary>Uses <paramref name="shapeProvider"/> for types without [GenerateShape], and <paramref name="serializer"/> (default: a new one with default settings).</summary>
    public MessagePackRpcSerializer(ITypeShapeProvider? shapeProvider = null, MessagePackSerializer? serializer = null)
    {
        _provider = shapeProvider;
        _serializer = serializer ?? new MessagePackSerializer();
    }

    /// <summary>A shared instance with default settings.</summary>
    public static MessagePackRpcSerializer Default { get; } = new();

    /// <inheritdoc/>
    public byte Id => SerializerIds.MessagePack;

    /// <inheritdoc/>
    public string Name => "msgpack";

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return;
        if (PrimitiveCodec.TrySerialize(writer, value, type)) return;
        _serializer.Serialize(writer, value, ResolveShape(type));
    }

    /// <inheritdoc/>
    public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return default!;
        try
        {
            if (PrimitiveCodec.TryDeserialize(data, type, out T? primitive)) return primitive!;
            return _serializer.Deserialize(data, ResolveShape(type))!;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
        {
            // EndOfStreamException: the body ends in the middle of a value.
            throw new RpcException(StatusCode.InvalidArgument, $"cannot decode {MessageType<T>.Name} from MessagePack: {ex.Message}", ex);
        }
    }

    private ITypeShape<T> ResolveShape<T>(MessageType<T> type)
    {
        if (type.Shape is { } shape) return shape;
        if (ReferenceEquals(type.CachedShapeOwner, this) && type.CachedShape is { } cached) return cached;
        if (_provider?.GetTypeShape(typeof(T)) is ITypeShape<T> provided)
        {
            type.CachedShape = provided;
            type.CachedShapeOwner = this;
            return provided;
        }
        throw new RpcException(StatusCode.Internal,
            $"no MessagePack shape for {typeof(T).FullName}: add [GenerateShape] to the type or pass an ITypeShapeProvider to MessagePackRpcSerializer");
    }
}
