using Meshwork.Rpc.Client;

namespace Meshwork.Diagnostics.Tests;

/// <summary>
/// The size histograms receive the body size of every message, as the RPC core reports it, on both sides: a unary
/// call's request and reply, and each message of a server stream.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class MessageSizeMetricsTests
{
    [Fact]
    public async Task Request_and_response_sizes_are_recorded_per_message_on_client_and_server()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.RpcMeterName);
        await using var server = await Echo.StartAsync(Echo.Define(), "sizes");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        // A 1000-character string is a MessagePack str16: 3 bytes of header and 1000 of text.
        string text = new('a', 1000);
        Assert.Equal(text, await client.UnaryAsync(Echo.Say, text));
        // Small integers are one-byte MessagePack fixints: the request 3, then 1, 2 and 3.
        var counted = new List<int>();
        await foreach (var i in client.ServerStreaming(Echo.Count, 3)) counted.Add(i);
        Assert.Equal([1, 2, 3], counted);
        await Eventually.TrueAsync(() => metrics.Of("rpc.server.response.size").Count(p => p.Tag(RpcAttributes.Method) == "Count") >= 3, "the server recorded its three stream messages");

        foreach (var side in new[] { "client", "server" })
        {
            var request = Assert.Single(metrics.Of($"rpc.{side}.request.size"), p => p.Tag(RpcAttributes.Method) == "Say");
            Assert.Equal(1003, request.Value);
            Assert.Equal(Echo.Service, request.Tag(RpcAttributes.Service));
            Assert.Equal("meshwork", request.Tag(RpcAttributes.System));
            Assert.Equal(1003, Assert.Single(metrics.Of($"rpc.{side}.response.size"), p => p.Tag(RpcAttributes.Method) == "Say").Value);

            Assert.Equal(1, Assert.Single(metrics.Of($"rpc.{side}.request.size"), p => p.Tag(RpcAttributes.Method) == "Count").Value);
            var streamed = metrics.Of($"rpc.{side}.response.size").Where(p => p.Tag(RpcAttributes.Method) == "Count").ToList();
            Assert.Equal(3, streamed.Count);
            Assert.All(streamed, p => Assert.Equal(1, p.Value));
        }
    }
}
