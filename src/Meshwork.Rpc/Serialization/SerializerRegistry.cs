namespace Meshwork.Rpc.Serialization;

/// <summary>Serializers known to a client or server, indexed by wire id. The first one added is the default for outgoing calls.</summary>
public sealed class SerializerRegistry
{
    private readonly ISerializer?[] _byId = new ISerializer?[256];

    /// <summary>A registry of <paramref name="serializers"/>; the first is the default.</summary>
    public SerializerRegistry(params ISerializer[] serializers)
    {
        foreach (var s in serializers) Add(s);
    }

    /// <summary>MessagePack and Protobuf, the two that need no configuration.</summary>
    public static SerializerRegistry CreateDefault() => new(MessagePackRpcSerializer.Default, ProtobufRpcSerializer.Default);

    /// <summary>The serializer for outgoing messages; throws <see cref="InvalidOperationException"/> if none is registered.</summary>
    public ISerializer Default => _default ?? throw new InvalidOperationException("no serializers registered");

    private ISerializer? _default;

    /// <summary>Registers <paramref name="serializer"/> under its id, replacing one with the same id; the first added becomes the default.</summary>
    public SerializerRegistry Add(ISerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        if (serializer.Id == 0) throw new ArgumentException("serializer id 0 is reserved", nameof(serializer));
        _byId[serializer.Id] = serializer;
        _default ??= serializer;
        return this;
    }

    /// <summary>Makes <paramref name="serializer"/> the default for outgoing calls (adding it if needed).</summary>
    public SerializerRegistry UseDefault(ISerializer serializer)
    {
        Add(serializer);
        _default = serializer;
        return this;
    }

    /// <summary>The serializer with wire id <paramref name="id"/>, or null.</summary>
    public ISerializer? Find(byte id) => _byId[id];

    /// <summary>
    /// The serializer for outgoing messages of this type: Protobuf messages go through the Protobuf serializer when it is
    /// registered (MessagePack cannot describe them), everything else through the default.
    /// </summary>
    public ISerializer For<T>(MessageType<T> type) =>
        type.ProtobufParser is not null && _byId[SerializerIds.Protobuf] is { } protobuf ? protobuf : Default;

    internal ISerializer Get(byte id) => id == 0 ? Default : _byId[id] ??
        throw new RpcException(StatusCode.Unimplemented, $"serializer id {id} is not registered on this peer");
}
