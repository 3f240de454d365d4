using System.Text.Json.Serialization.Metadata;
using PolyType;

namespace Meshwork.Rpc.Serialization;

/// <summary>
/// Everything the serializers need to know about one message type, gathered at compile time by the generated
/// code so that no serializer has to use reflection: the PolyType shape (MessagePack), the Protobuf parser.
/// JSON type info is resolved from the serializer's options on first use and cached here.
/// </summary>
public sealed class MessageType<T>
{
    /// <summary>Describes <typeparamref name="T"/> by its PolyType <paramref name="shape"/> and its Protobuf <c>MessageParser</c>, either may be null.</summary>
    public MessageType(ITypeShape<T>? shape = null, object? protobufParser = null)
    {
        Shape = shape;
        ProtobufParser = protobufParser;
    }

    /// <summary>Shape for Nerdbank.MessagePack; null when the type has no [GenerateShape].</summary>
    public ITypeShape<T>? Shape { get; }

    /// <summary>A <c>Google.Protobuf.MessageParser&lt;T&gt;</c> when T is a Protobuf message.</summary>
    public object? ProtobufParser { get; }

    /// <summary>The type's name as shown in errors.</summary>
    public static string Name => typeof(T).Name;

    /// <summary>Which primitive reference type <typeparamref name="T"/> is, if any: worked out once here, because code
    /// shared by all reference types would look it up at run time on every message.</summary>
    internal PrimitiveReference Reference { get; } = PrimitiveCodec.ReferenceOf<T>();

    internal JsonTypeInfo<T>? CachedJsonInfo;
    internal object? CachedJsonOwner;
    internal ITypeShape<T>? CachedShape;
    internal object? CachedShapeOwner;
}

/// <summary>Factory helpers the generated code calls; the constraints let it reach static interface members without reflection.</summary>
public static class MessageTypes
{
    /// <summary>For types annotated with PolyType's [GenerateShape].</summary>
    public static MessageType<T> Shapeable<T>() where T : IShapeable<T> => new(T.GetTypeShape());

    /// <summary>For Google.Protobuf messages.</summary>
    public static MessageType<T> Protobuf<T>() where T : class, Google.Protobuf.IMessage<T>, new()
        => new(protobufParser: new Google.Protobuf.MessageParser<T>(static () => new T()));

    /// <summary>For anything else: primitives, strings, byte arrays, or types resolved by a serializer's own provider.</summary>
    public static MessageType<T> Plain<T>() => new();
}
