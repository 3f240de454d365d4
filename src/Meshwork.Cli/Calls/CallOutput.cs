using System.Text.Encodings.Web;
using System.Text.Json;
using Meshwork.Rpc;

namespace Meshwork.Cli.Calls;

/// <summary>
/// How <c>meshwork call</c> prints: readable by default (a string reply as plain text, others as indented JSON,
/// errors on stderr), or with <c>--json</c> one compact JSON value per line on stdout, errors included. Stream
/// messages are one compact JSON value per line (NDJSON) either way, written as each arrives.
/// </summary>
internal sealed class CallOutput(bool json)
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    public void Reply(JsonElement reply)
    {
        if (json) Console.WriteLine(Text(reply, Compact));
        else if (reply.ValueKind == JsonValueKind.String) Console.WriteLine(reply.GetString());
        else if (reply.ValueKind != JsonValueKind.Undefined) Console.WriteLine(Text(reply, Indented));
    }

    public void StreamMessage(JsonElement message) => Console.WriteLine(Text(message, Compact));

    /// <summary>A one-way call has no reply; only the readable form says that it went out.</summary>
    public void Sent()
    {
        if (!json) Console.Error.WriteLine("sent (one-way: no reply)");
    }

    /// <summary>Prints the failure and returns the exit code (1).</summary>
    public int Error(StatusCode status, string message)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, Compact))
            {
                w.WriteStartObject();
                w.WriteStartObject("error");
                w.WriteString("status", status.ToString());
                w.WriteNumber("code", (int)status);
                w.WriteString("message", message);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            Console.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
        else
        {
            Console.Error.WriteLine($"error: {status}: {message}");
        }
        return 1;
    }

    /// <summary>An empty message (a method returning nothing) prints as JSON null.</summary>
    private static string Text(JsonElement value, JsonWriterOptions options)
    {
        if (value.ValueKind == JsonValueKind.Undefined) return "null";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, options)) value.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
