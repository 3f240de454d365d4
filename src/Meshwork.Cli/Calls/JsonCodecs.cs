using System.Buffers;
using System.Text.Json;
using Meshwork.Rpc;
using Meshwork.Rpc.Serialization;
using Nerdbank.MessagePack;

namespace Meshwork.Cli.Calls;

/// <summary>
/// The serializers of <c>meshwork call</c>: requests go out as MessagePack (the servers' default) transcoded from the
/// JSON the user typed; replies come back in the request's serializer and are turned into JSON. Messages are
/// <see cref="JsonElement"/>; an undefined element is an empty body (a method taking <see cref="Empty"/>).
/// </summary>
internal static class JsonCodecs
{
    /// <summary>MessagePack first, so it is the default for requests; JSON too, for servers that answer in JSON.</summary>
    public static SerializerRegistry Create() => new(new MessagePackJson(), new PlainJson());

    /// <summary>Wire id 1 (MessagePack): the JSON value transcoded to MessagePack and back.</summary>
    private sealed class MessagePackJson : ISerializer
    {
        public byte Id => SerializerIds.MessagePack;

        public string Name => "msgpack";

        public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
        {
            if (value is not JsonElement element || element.ValueKind == JsonValueKind.Undefined) return;
            var w = new MessagePackWriter(writer);
            JsonMessagePack.Write(ref w, element);
            w.Flush();
        }

        public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
        {
            if (typeof(T) != typeof(JsonElement) || data.IsEmpty) return default!;
            var json = new ArrayBufferWriter<byte>();
            try
            {
                var reader = new MessagePackReader(data);
                using (var writer = new Utf8JsonWriter(json)) JsonMessagePack.Read(ref reader, writer);
            }
            catch (Exception e) when (e is FormatException or MessagePackSerializationException or EndOfStreamException or InvalidOperationException)
            {
                throw new RpcException(StatusCode.Internal, $"the reply is not valid MessagePack: {e.Message}", e);
            }
            return (T)(object)JsonDocument.Parse(json.WrittenMemory).RootElement.Clone();
        }
    }

    /// <summary>Wire id 2 (JSON): bodies pass through as they are.</summary>
    private sealed class PlainJson : ISerializer
    {
        public byte Id => SerializerIds.Json;

        public string Name => "json";

        public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
        {
            if (value is not JsonElement element || element.ValueKind == JsonValueKind.Undefined) return;
            using var w = new Utf8JsonWriter(writer);
            element.WriteTo(w);
        }

        public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
        {
            if (typeof(T) != typeof(JsonElement) || data.IsEmpty) return default!;
            var reader = new Utf8JsonReader(data);
            try
            {
                return (T)(object)JsonElement.ParseValue(ref reader);
            }
            catch (JsonException e)
            {
                throw new RpcException(StatusCode.Internal, $"the reply is not valid JSON: {e.Message}", e);
            }
        }
    }
}
