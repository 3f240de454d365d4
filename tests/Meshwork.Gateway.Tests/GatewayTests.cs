using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Meshwork.Gateway.Tests;

public sealed class GatewayTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task A_json_post_calls_the_service_through_the_governed_pipeline()
    {
        await using var f = await GatewayFixture.StartAsync();
        using var response = await f.Http.PostAsync("/rpc/shop/Place", Json("""{"item":"tea","quantity":3}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var receipt = await BodyAsync(response);
        Assert.Equal("tea", receipt.GetProperty("item").GetString());
        Assert.Equal(3, receipt.GetProperty("quantity").GetInt32());
        Assert.Equal("shop-1", receipt.GetProperty("server").GetString());
        // The governed invoker picked the registered instance.
        Assert.Single(f.Invoker.Endpoints("shop"));
    }

    [Fact]
    public async Task Headers_become_metadata_and_the_trace_context_is_forwarded()
    {
        await using var f = await GatewayFixture.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/rpc/shop/Place") { Content = Json("""{"item":"tea","quantity":1}""") };
        request.Headers.Add("meshwork-tenant", "acme");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("x-not-forwarded", "secret");
        using var response = await f.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var seen = f.Headers.Seen.Last()!;
        Assert.Equal("acme", seen.Get("tenant"));
        Assert.Null(seen.Get("x-not-forwarded"));
        // The same trace continues behind the gateway (the span id may be the gateway's own child span).
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", seen.Get("traceparent"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"item":"tea","quantity":0}""", HttpStatusCode.BadRequest, "InvalidArgument", "quantity must be positive")]
    [InlineData("""{"item":"unobtainium","quantity":1}""", HttpStatusCode.NotFound, "NotFound", "no such item")]
    public async Task Call_statuses_map_to_http_statuses_with_the_message(string body, HttpStatusCode http, string status, string message)
    {
        await using var f = await GatewayFixture.StartAsync();
        using var response = await f.Http.PostAsync("/rpc/shop/Place", Json(body));
        Assert.Equal(http, response.StatusCode);
        var error = await BodyAsync(response);
        Assert.Equal(status, error.GetProperty("status").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(response.Headers.Contains("meshwork-status"));
    }

    [Fact]
    public async Task An_unreachable_service_is_503_and_names_the_instance()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.Server.StopAsync();
        using var response = await f.Http.PostAsync("/rpc/shop/Place", Json("""{"item":"tea","quantity":1}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unavailable", (await BodyAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_json_unknown_methods_wrong_media_types_and_oversized_bodies_get_clear_4xx()
    {
        await using var f = await GatewayFixture.StartAsync(o => o.MaxRequestBodyBytes = 2048);

        using (var r = await f.Http.PostAsync("/rpc/shop/Place", Json("""{"item": "tea", "quantity": """)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("not valid JSON for Order", (await BodyAsync(r)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Place", Json("""{"item": "tea", "quantity": "three"}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Nope", Json("{}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            var message = (await BodyAsync(r)).GetProperty("message").GetString()!;
            Assert.Contains("shop/Nope", message, StringComparison.Ordinal);
            Assert.Contains("shop/Place", message, StringComparison.Ordinal); // lists what exists
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Place", new StringContent("item=tea", Encoding.UTF8, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Place", Json("{\"item\":\"" + new string('x', 4096) + "\",\"quantity\":1}")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Contains("MaxRequestBodyBytes", (await BodyAsync(r)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, "/rpc/shop/Place"))
        {
            // No Content-Length: the limit still holds while reading.
            chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"item\":\"" + new string('x', 4096) + "\",\"quantity\":1}")));
            chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            chunked.Headers.TransferEncodingChunked = true;
            using var r = await f.Http.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Place", Json("")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("body is empty", (await BodyAsync(r)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var bad = new HttpRequestMessage(HttpMethod.Post, "/rpc/shop/Place") { Content = Json("""{"item":"tea","quantity":1}""") })
        {
            bad.Headers.Add("meshwork-timeout", "soon");
            using var r = await f.Http.SendAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("meshwork-timeout", (await BodyAsync(r)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_stream_is_served_as_ndjson_and_as_server_sent_events()
    {
        await using var f = await GatewayFixture.StartAsync();
        using (var r = await f.Http.PostAsync("/rpc/shop/Count", Json("""{"to":3}""")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("application/x-ndjson", r.Content.Headers.ContentType?.MediaType);
            var lines = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal([1, 2, 3], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("n").GetInt32()));
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/rpc/shop/Count") { Content = Json("""{"to":2}""") })
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var r = await f.Http.SendAsync(request);
            Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType);
            var text = await r.Content.ReadAsStringAsync();
            Assert.Equal("data: {\"n\":1}\n\ndata: {\"n\":2}\n\n", text);
        }
        // A failure before the first message is a normal error response; one after it ends the stream with an error object.
        using (var r = await f.Http.PostAsync("/rpc/shop/Count", Json("""{"to":-1}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("OutOfRange", (await BodyAsync(r)).GetProperty("status").GetString());
        }
        using (var r = await f.Http.PostAsync("/rpc/shop/Count", Json("""{"to":5,"failAt":3}""")))
        {
            var lines = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.Equal("Unavailable", JsonDocument.Parse(lines[2]).RootElement.GetProperty("error").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task A_one_way_call_is_accepted_with_202()
    {
        await using var f = await GatewayFixture.StartAsync();
        using var r = await f.Http.PostAsync("/rpc/shop/Note", Json("\"hello\""));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.Equal("hello", await f.Shop.Noted.Task.WaitAsync(Eventually.Timeout));
    }

    [Fact]
    public async Task The_openapi_description_is_generated_from_the_contract()
    {
        await using var f = await GatewayFixture.StartAsync();
        var doc = JsonDocument.Parse(await f.Http.GetStringAsync("/openapi.json")).RootElement;
        Assert.Equal("3.1.0", doc.GetProperty("openapi").GetString());
        var paths = doc.GetProperty("paths");
        Assert.Equal(["/rpc/shop/Count", "/rpc/shop/Note", "/rpc/shop/Place"], paths.EnumerateObject().Select(p => p.Name));
        var place = paths.GetProperty("/rpc/shop/Place").GetProperty("post");
        var request = place.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal(["item", "quantity"], request.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        var reply = place.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.True(reply.GetProperty("properties").TryGetProperty("server", out _));
        Assert.True(paths.GetProperty("/rpc/shop/Count").GetProperty("post").GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        Assert.True(paths.GetProperty("/rpc/shop/Note").GetProperty("post").GetProperty("responses").TryGetProperty("202", out _));
    }

    [Fact]
    public void Methods_that_cannot_be_served_or_lack_json_metadata_are_refused_when_added()
    {
        var table = new GatewayMethods(ShopJson.Default.Options);
        var streaming = new Meshwork.Rpc.Method<string, string>("x", "Up", Meshwork.Rpc.Protocol.CallKind.ClientStreaming,
            Meshwork.Rpc.Serialization.MessageTypes.Plain<string>(), Meshwork.Rpc.Serialization.MessageTypes.Plain<string>());
        Assert.Contains("streams requests", Assert.Throws<ArgumentException>(() => table.Add(streaming)).Message, StringComparison.Ordinal);
        var unknownType = new Meshwork.Rpc.Method<Uri, string>("x", "U", Meshwork.Rpc.Protocol.CallKind.Unary,
            Meshwork.Rpc.Serialization.MessageTypes.Plain<Uri>(), Meshwork.Rpc.Serialization.MessageTypes.Plain<string>());
        Assert.Contains("no metadata for System.Uri", Assert.Throws<ArgumentException>(() => table.Add(unknownType)).Message, StringComparison.Ordinal);
        table.Add(ShopDescriptors.Place);
        Assert.Contains("added twice", Assert.Throws<ArgumentException>(() => table.Add(ShopDescriptors.Place)).Message, StringComparison.Ordinal);
    }
}
