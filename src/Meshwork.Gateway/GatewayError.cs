using System.Text.Json;
using Meshwork.Rpc;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Gateway;

/// <summary>Writes the gateway's error body: <c>{"status": name, "code": number, "message": text}</c>.</summary>
internal static class GatewayError
{
    public const string StatusHeader = "meshwork-status";
    public const string TrailerHeaderPrefix = "meshwork-trailer-";

    public static Task WriteAsync(HttpContext http, int httpStatus, StatusCode status, string message, Metadata? trailers = null)
    {
        var response = http.Response;
        response.StatusCode = httpStatus;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers[StatusHeader] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (trailers is not null)
        {
            foreach (var (key, value) in trailers) response.Headers.Append(TrailerHeaderPrefix + key, value);
        }
        return response.Body.WriteAsync(Encode(status, message)).AsTask();
    }

    public static Task WriteAsync(HttpContext http, RpcException e) => WriteAsync(http, StatusMapping.ToHttp(e.Status), e.Status, e.Message, e.Trailers);

    public static byte[] Encode(StatusCode status, string message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteObject(json, status, message);
        }
        return buffer.ToArray();
    }

    public static void WriteObject(Utf8JsonWriter json, StatusCode status, string message)
    {
        json.WriteStartObject();
        json.WriteString("status", status.ToString());
        json.WriteNumber("code", (int)status);
        json.WriteString("message", message);
        json.WriteEndObject();
    }
}
