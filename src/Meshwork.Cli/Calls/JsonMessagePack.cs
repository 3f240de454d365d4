using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Nerdbank.MessagePack;

namespace Meshwork.Cli.Calls;

/// <summary>
/// Converts between JSON and MessagePack without a schema, so that <c>meshwork call</c> can talk to any method whose
/// messages use the default MessagePack serializer: JSON objects become maps with string keys, arrays arrays, whole
/// numbers integers, other numbers doubles, strings strings. Back, binary becomes base64 text, timestamps ISO 8601
/// text, other extensions <c>{"$ext": type, "base64": data}</c>, and map keys that are not strings their JSON text.
/// </summary>
internal static class JsonMessagePack
{
    /// <summary>Nesting beyond this is refused: a hostile reply cannot overflow the stack of the CLI.</summary>
    public const int MaxDepth = 64;

    private const sbyte TimestampExtension = -1;

    public static void Write(ref MessagePackWriter writer, JsonElement value, int depth = 0)
    {
        if (depth > MaxDepth) throw new FormatException($"the JSON request nests deeper than {MaxDepth} levels");
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                writer.WriteNil();
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number:
                if (value.TryGetInt64(out long l)) writer.Write(l);
                else if (value.TryGetUInt64(out ulong u)) writer.Write(u);
                else writer.Write(value.GetDouble());
                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray()) Write(ref writer, item, depth + 1);
                break;
            case JsonValueKind.Object:
                int count = 0;
                foreach (var _ in value.EnumerateObject()) count++;
                writer.WriteMapHeader(count);
                foreach (var property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value, depth + 1);
                }
                break;
            default:
                throw new FormatException($"cannot send a JSON {value.ValueKind} value");
        }
    }

    public static void Read(ref MessagePackReader reader, Utf8JsonWriter json, int depth = 0)
    {
        if (depth > MaxDepth) throw new FormatException($"the reply nests deeper than {MaxDepth} levels");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64) json.WriteNumberValue(reader.ReadUInt64());
                else json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                double d = reader.ReadDouble();
                if (double.IsFinite(d)) json.WriteNumberValue(d);
                else json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Binary:
                var bytes = reader.ReadBytes();
                if (bytes is null) json.WriteNullValue();
                else json.WriteBase64StringValue(bytes.Value.ToArray());
                break;
            case MessagePackType.Array:
                int length = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (int i = 0; i < length; i++) Read(ref reader, json, depth + 1);
                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                int pairs = reader.ReadMapHeader();
                json.WriteStartObject();
                for (int i = 0; i < pairs; i++)
                {
                    json.WritePropertyName(KeyText(ref reader));
                    Read(ref reader, json, depth + 1);
                }
                json.WriteEndObject();
                break;
            case MessagePackType.Extension:
                var peek = reader.CreatePeekReader();
                if (peek.ReadExtensionHeader().TypeCode == TimestampExtension)
                {
                    json.WriteStringValue(reader.ReadDateTime().ToString("O", CultureInfo.InvariantCulture));
                    break;
                }
                var header = reader.ReadExtensionHeader();
                ReadOnlySequence<byte> data = reader.ReadRaw((long)header.Length);
                json.WriteStartObject();
                json.WriteNumber("$ext", header.TypeCode);
                json.WriteBase64String("base64", data.ToArray());
                json.WriteEndObject();
                break;
            default:
                throw new FormatException($"unknown MessagePack code 0x{reader.NextCode:x2}");
        }
    }

    /// <summary>A map key as JSON property text: strings as they are, anything else (numbers, booleans, ...) as its JSON.</summary>
    private static string KeyText(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.String) return reader.ReadString() ?? "";
        var buffer = new ArrayBufferWriter<byte>();
        using (var key = new Utf8JsonWriter(buffer)) Read(ref reader, key, MaxDepth - 1);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
