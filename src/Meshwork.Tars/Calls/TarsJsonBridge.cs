using System.Globalization;
using System.Text.Json;

namespace Meshwork.Tars;

/// <summary>
/// TARS JSON (<c>iVersion</c> 5): <c>sBuffer</c> is a UTF-8 JSON object of parameters by name, the return value under
/// <c>tars_ret</c>, mapped as TarsCpp's <c>TarsJson.h</c> maps values: numbers, strings, <c>true</c>/<c>false</c>, vectors
/// as arrays (byte vectors too, as numbers), maps as objects with the keys as text. Handlers read and write Tars binary,
/// so each JSON value is converted to the Tars encoding a reader of its type accepts, and back. Structs are the limit:
/// JSON names their fields, the binary encoding numbers them, and the handler's delegates do not say which name goes
/// with which tag; a struct parameter or result is refused with a clear error.
/// </summary>
internal static class TarsJsonBridge
{
    /// <summary>Writes one JSON value as Tars at <paramref name="tag"/>: integers smallest-first, other numbers as FLOAT when exact else DOUBLE.</summary>
    /// <exception cref="TarsDecodeException">The value is JSON <c>null</c>.</exception>
    public static void WriteTars(ref TarsWriter writer, int tag, JsonElement value, string name)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when value.TryGetInt64(out long integer):
                writer.WriteInt64(tag, integer);
                break;
            case JsonValueKind.Number:
                double real = value.GetDouble();
                if ((double)(float)real == real) writer.WriteFloat(tag, (float)real); // a double reader takes FLOAT too
                else writer.WriteDouble(tag, real);
                break;
            case JsonValueKind.String:
                writer.WriteString(tag, value.GetString());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.WriteBool(tag, value.ValueKind == JsonValueKind.True);
                break;
            case JsonValueKind.Array:
                writer.WriteListHeader(tag, value.GetArrayLength());
                foreach (var item in value.EnumerateArray()) WriteTars(ref writer, 0, item, name);
                break;
            case JsonValueKind.Object:
                int count = 0;
                foreach (var _ in value.EnumerateObject()) count++;
                writer.WriteMapHeader(tag, count);
                foreach (var member in value.EnumerateObject())
                {
                    writer.WriteString(0, member.Name);
                    WriteTars(ref writer, 1, member.Value, name);
                }
                break;
            default:
                throw new TarsDecodeException($"JSON parameter '{name}' holds {value.ValueKind}, which has no TARS value");
        }
    }

    /// <summary>Writes the Tars value at the reader's position as JSON.</summary>
    /// <exception cref="TarsException">The value is (or contains) a struct: -2, naming the parameter.</exception>
    public static void WriteJson(ref TarsReader reader, Utf8JsonWriter json, string name)
    {
        var head = reader.PeekHead();
        switch (head.Type)
        {
            case TarsType.Zero or TarsType.Int1 or TarsType.Int2 or TarsType.Int4 or TarsType.Int8:
                json.WriteNumberValue(reader.ReadInt64(head.Tag, true));
                break;
            case TarsType.Float:
                json.WriteNumberValue(reader.ReadFloat(head.Tag, true));
                break;
            case TarsType.Double:
                json.WriteNumberValue(reader.ReadDouble(head.Tag, true));
                break;
            case TarsType.String1 or TarsType.String4:
                json.WriteStringValue(reader.ReadString(head.Tag, true));
                break;
            case TarsType.SimpleList:
                json.WriteStartArray();
                foreach (byte b in reader.ReadBytesSpan(head.Tag, true)) json.WriteNumberValue((sbyte)b); // C++ char is signed
                json.WriteEndArray();
                break;
            case TarsType.List:
                reader.TryReadListHeader(head.Tag, true, out int items);
                json.WriteStartArray();
                for (int i = 0; i < items; i++) WriteJson(ref reader, json, name);
                json.WriteEndArray();
                break;
            case TarsType.Map:
                reader.TryReadMapHeader(head.Tag, true, out int entries);
                json.WriteStartObject();
                for (int i = 0; i < entries; i++)
                {
                    json.WritePropertyName(KeyText(ref reader, name));
                    WriteJson(ref reader, json, name);
                }
                json.WriteEndObject();
                break;
            default:
                throw StructNotSupported(name);
        }
    }

    private static string KeyText(ref TarsReader reader, string name)
    {
        var head = reader.PeekHead();
        return head.Type switch
        {
            TarsType.String1 or TarsType.String4 => reader.ReadString(0, true),
            TarsType.Zero or TarsType.Int1 or TarsType.Int2 or TarsType.Int4 or TarsType.Int8 =>
                reader.ReadInt64(0, true).ToString(CultureInfo.InvariantCulture),
            TarsType.Float => reader.ReadFloat(0, true).ToString("R", CultureInfo.InvariantCulture),
            TarsType.Double => reader.ReadDouble(0, true).ToString("R", CultureInfo.InvariantCulture),
            _ => throw new TarsException(TarsReturnCode.ServerEncodeError,
                $"'{name}' is a map whose keys are not strings or numbers; TARS JSON (version 5) keys are text"),
        };
    }

    public static TarsException StructNotSupported(string name) => new(TarsReturnCode.ServerEncodeError,
        $"'{(name.Length == 0 ? TarsKeys.TupReturn : name)}' is or holds a struct; TARS JSON (version 5) names struct fields, which Meshwork's binary readers and writers do not carry, so structs travel only over versions 1, 2 and 3");
}
