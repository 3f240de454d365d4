using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Meshwork.Rpc.Serialization;

/// <summary>
/// System.Text.Json serializer. For NativeAOT pass options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/>
/// is a source-generated <c>JsonSerializerContext</c>; type infos are looked up once per message type and cached.
/// </summary>
public sealed class JsonRpcSerializer : ISerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Uses <paramref name="options"/>, which must have a <see cref="JsonSerializerOptions.TypeInfoResolver"/>; they are made read-only.</summary>
    public JsonRpcSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TypeInfoResolver is null)
        {
            throw new ArgumentException("JsonSerializerOptions.TypeInfoResolver must be set (for example to a source-generated JsonSerializerContext)", nameof(options));
        }
        options.MakeReadOnly();
        _options = options;
    }

    /// <inheritdoc/>
    public byte Id => SerializerIds.Json;

    /// <inheritdoc/>
    public string Name => "json";

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return;
        using var w = new Utf8JsonWriter(writer);
        JsonSerializer.Serialize(w, value, Info(type));
    }

    /// <inheritdoc/>
    public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
    {
        if (typeof(T) == typeof(Empty)) return default!;
        try
        {
            var reader = new Utf8JsonReader(data);
            return JsonSerializer.Deserialize(ref reader, Info(type))!;
        }
        catch (JsonException ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"cannot decode {MessageType<T>.Name} from JSON: {ex.Message}", ex);
        }
    }

    private JsonTypeInfo<T> Info<T>(MessageType<T> type)
    {
        if (ReferenceEquals(type.CachedJsonOwner, _options) && type.CachedJsonInfo is { } cached) return cached;
        if (_options.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed)
        {
            type.CachedJsonInfo = typed;
            type.CachedJsonOwner = _options;
            return typed;
        }
        throw new RpcException(StatusCode.Internal, $"the JSON serializer's TypeInfoResolver has no metadata for {typeof(T).FullName}; add it to your JsonSerializerContext");
    }
}
