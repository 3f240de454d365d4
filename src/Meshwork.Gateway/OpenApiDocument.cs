using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Gateway;

/// <summary>
/// The OpenAPI 3.1 description of the exposed methods: one POST path per method, request and response schemas
/// exported from the JSON metadata of the contract's message types, the streaming media types, and the error body.
/// </summary>
internal sealed class OpenApiDocument(GatewayMethods methods, GatewayOptions options)
{
    private byte[]? _json;

    public byte[] Json => _json ??= Build();

    private byte[] Build()
    {
        var paths = new JsonObject();
        foreach (var m in methods.All)
        {
            var responses = new JsonObject();
            switch (m.Kind)
            {
                case CallKind.OneWay:
                    responses["202"] = new JsonObject { ["description"] = "Accepted: sent, no reply (one-way method)" };
                    break;
                case CallKind.ServerStreaming:
                    var item = Schema(m.ResponseInfo);
                    responses["200"] = new JsonObject
                    {
                        ["description"] = "The server's stream: one JSON message per line (NDJSON), or per server-sent event with Accept: text/event-stream; a failure mid-stream ends it with an error object",
                        ["content"] = new JsonObject
                        {
                            ["application/x-ndjson"] = new JsonObject { ["itemSchema"] = item.DeepClone(), ["schema"] = item.DeepClone() },
                            ["text/event-stream"] = new JsonObject { ["itemSchema"] = item },
                        },
                    };
                    break;
                default:
                    responses["200"] = new JsonObject
                    {
                        ["description"] = "The reply",
                        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Schema(m.ResponseInfo) } },
                    };
                    break;
            }
            responses["default"] = new JsonObject
            {
                ["description"] = "The call failed: the HTTP status maps the call status (400 invalid argument, 404 not found, 429 resource exhausted, 503 unavailable, 504 deadline exceeded, ...)",
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Error" } } },
            };
            paths[options.RoutePrefix.TrimEnd('/') + "/" + m.Service + "/" + m.Name] = new JsonObject
            {
                ["post"] = new JsonObject
                {
                    ["operationId"] = m.Service + "." + m.Name,
                    ["tags"] = new JsonArray(m.Service),
                    ["summary"] = m.Service + "/" + m.Name + " (" + m.Kind + ")",
                    ["parameters"] = new JsonArray(new JsonObject
                    {
                        ["name"] = MeshworkGateway.TimeoutHeader,
                        ["in"] = "header",
                        ["required"] = false,
                        ["description"] = "Time budget of the call in milliseconds",
                        ["schema"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1 },
                    }),
                    ["requestBody"] = new JsonObject
                    {
                        ["required"] = true,
                        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Schema(m.RequestInfo) } },
                    },
                    ["responses"] = responses,
                },
            };
        }
        var document = new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject { ["title"] = options.Title, ["version"] = typeof(OpenApiDocument).Assembly.GetName().Version?.ToString() ?? "0" },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject
                {
                    ["Error"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("status", "code", "message"),
                        ["properties"] = new JsonObject
                        {
                            ["status"] = new JsonObject { ["type"] = "string", ["description"] = "Status name, e.g. Unavailable" },
                            ["code"] = new JsonObject { ["type"] = "integer", ["description"] = "Status number (the gRPC values)" },
                            ["message"] = new JsonObject { ["type"] = "string", ["description"] = "What went wrong, naming the hop or limit" },
                        },
                    },
                },
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(document, JsonNodeContext.Default.JsonObject);
    }

    private static JsonNode Schema(System.Text.Json.Serialization.Metadata.JsonTypeInfo info) =>
        info.GetJsonSchemaAsNode(new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonNodeContext : System.Text.Json.Serialization.JsonSerializerContext;
