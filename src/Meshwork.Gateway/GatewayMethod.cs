using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Gateway;

/// <summary>One exposed method: decodes the JSON request, makes the call, encodes the answer.</summary>
internal abstract class GatewayMethod(string service, string name, CallKind kind, JsonTypeInfo request, JsonTypeInfo response)
{
    public string Service { get; } = service;
    public string Name { get; } = name;
    public CallKind Kind { get; } = kind;
    public JsonTypeInfo RequestInfo { get; } = request;
    public JsonTypeInfo ResponseInfo { get; } = response;

    /// <summary>Runs the call and writes the HTTP response; bad input and call failures become error responses.</summary>
    public abstract Task InvokeAsync(HttpContext http, CallInvoker invoker, ReadOnlyMemory<byte> body, CallOptions options);
}

internal sealed class GatewayMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, JsonTypeInfo<TRequest> request, JsonTypeInfo<TResponse> response)
    : GatewayMethod(method.Service, method.Name, method.Kind, request, response)
{
    private static readonly byte[] SseData = "data: "u8.ToArray();
    private static readonly byte[] SseEnd = "\n\n"u8.ToArray();
    private static readonly byte[] SseError = "event: error\ndata: "u8.ToArray();
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public override async Task InvokeAsync(HttpContext http, CallInvoker invoker, ReadOnlyMemory<byte> body, CallOptions options)
    {
        TRequest value;
        try
        {
            value = JsonSerializer.Deserialize(body.Span, request)!;
        }
        catch (JsonException e)
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status400BadRequest, StatusCode.InvalidArgument,
                $"the body is not valid JSON for {typeof(TRequest).Name} ({method.FullName}): {e.Message}").ConfigureAwait(false);
            return;
        }
        if (value is null && default(TRequest) is not null)
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status400BadRequest, StatusCode.InvalidArgument, $"the body of {method.FullName} must not be null").ConfigureAwait(false);
            return;
        }
        try
        {
            switch (Kind)
            {
                case CallKind.Unary:
                    var reply = await invoker.UnaryAsync(method, value, options).ConfigureAwait(false);
                    http.Response.StatusCode = StatusCodes.Status200OK;
                    http.Response.ContentType = "application/json; charset=utf-8";
                    await JsonSerializer.SerializeAsync(http.Response.Body, reply, response, http.RequestAborted).ConfigureAwait(false);
                    return;
                case CallKind.OneWay:
                    await invoker.OneWayAsync((Method<TRequest, Empty>)(object)method, value, options).ConfigureAwait(false);
                    http.Response.StatusCode = StatusCodes.Status202Accepted;
                    return;
                default:
                    await StreamAsync(http, invoker, value, options).ConfigureAwait(false);
                    return;
            }
        }
        catch (RpcException e) when (!http.Response.HasStarted)
        {
            await GatewayError.WriteAsync(http, e).ConfigureAwait(false);
        }
    }

    private async Task StreamAsync(HttpContext http, CallInvoker invoker, TRequest value, CallOptions options)
    {
        bool sse = http.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        var enumerator = invoker.ServerStreaming(method, value, options).GetAsyncEnumerator(options.CancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            // The first message decides the HTTP status: a call that fails at once gets a proper error response.
            bool more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            var output = http.Response;
            output.StatusCode = StatusCodes.Status200OK;
            output.ContentType = sse ? "text/event-stream" : "application/x-ndjson";
            output.Headers.CacheControl = "no-cache";
            try
            {
                while (more)
                {
                    if (sse) await output.Body.WriteAsync(SseData, http.RequestAborted).ConfigureAwait(false);
                    await output.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(enumerator.Current, response), http.RequestAborted).ConfigureAwait(false);
                    await output.Body.WriteAsync(sse ? SseEnd : NewLine, http.RequestAborted).ConfigureAwait(false);
                    await output.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
            }
            catch (RpcException e)
            {
                // Headers are sent: the failure goes into the stream as its last event.
                if (sse)
                {
                    await output.Body.WriteAsync(SseError, http.RequestAborted).ConfigureAwait(false);
                    await output.Body.WriteAsync(GatewayError.Encode(e.Status, e.Message), http.RequestAborted).ConfigureAwait(false);
                    await output.Body.WriteAsync(SseEnd, http.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    await output.Body.WriteAsync(EncodeErrorLine(e), http.RequestAborted).ConfigureAwait(false);
                }
            }
        }
    }

    private static byte[] EncodeErrorLine(RpcException e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WritePropertyName("error");
            GatewayError.WriteObject(json, e.Status, e.Message);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
