using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Diagnostics.Tests;

[Collection(TelemetryCollection.Name)]
public sealed class RpcMetricsTests
{
    [Fact]
    public async Task Calls_errors_durations_and_in_flight_are_measured_on_both_sides()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.RpcMeterName);
        await using var server = await Echo.StartAsync(Echo.Define(), "m1");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        for (int i = 0; i < 3; i++) await client.UnaryAsync(Echo.Say, "x");
        await Assert.ThrowsAsync<RpcException>(async () => await client.UnaryAsync(Echo.Fail, "x"));
        // The server records after it has answered: wait for its four calls.
        await Eventually.TrueAsync(() => metrics.Sum("meshwork.rpc.server.calls") >= 4, "four server calls recorded");

        foreach (var side in new[] { "client", "server" })
        {
            Assert.Equal(3, metrics.Sum($"meshwork.rpc.{side}.calls", p => p.Tag(RpcAttributes.Method) == "Say" && p.Tag(RpcAttributes.StatusCode) == "0"));
            Assert.Equal(1, metrics.Sum($"meshwork.rpc.{side}.calls", p => p.Tag(RpcAttributes.Method) == "Fail" && p.Tag(RpcAttributes.StatusCode) == "9"));
            var error = Assert.Single(metrics.Of($"meshwork.rpc.{side}.errors"));
            Assert.Equal("FailedPrecondition", error.Tag(RpcAttributes.ErrorType));
            Assert.Equal(4, metrics.Of($"rpc.{side}.call.duration").Count());
            Assert.All(metrics.Of($"rpc.{side}.call.duration"), p => Assert.True(p.Value > 0));
            Assert.All(metrics.Of($"rpc.{side}.call.duration"), p => Assert.Equal("meshwork", p.Tag(RpcAttributes.System)));
            // Every call that entered left again.
            Assert.Equal(0, metrics.Sum($"meshwork.rpc.{side}.active_calls"));
            Assert.Equal(4, metrics.Sum($"meshwork.rpc.{side}.active_calls", p => p.Value > 0));
        }
    }

    [Fact]
    public async Task Server_connections_and_protocol_errors_are_observed_from_the_server()
    {
        using var metrics = new MetricRecorder(MeshworkTelemetry.RpcMeterName);
        await using var server = await Echo.StartAsync(Echo.Define(), "observed");
        using var tracking = RpcServerMetrics.Track(server);
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        await channel.UnaryAsync(Echo.Say, "x");

        // A client that speaks garbage: one protocol error of the bad-magic kind.
        using (var garbage = new System.Net.Sockets.TcpClient())
        {
            await garbage.ConnectAsync(server.BoundEndpoints[0].EndPoint as System.Net.IPEndPoint ?? throw new InvalidOperationException());
            await garbage.GetStream().WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
            await Eventually.TrueAsync(() => server.ProtocolErrors.Total > 0, "the server counted the garbage");
        }

        metrics.Collect();
        var connections = metrics.Of("meshwork.rpc.server.connections").Where(p => p.Tag(RpcServerMetrics.ServerAttribute) == "observed").ToList();
        Assert.NotEmpty(connections);
        Assert.True(connections[^1].Value >= 1);
        Assert.True(metrics.Sum("meshwork.rpc.server.protocol_errors", p => p.Tag(RpcServerMetrics.ServerAttribute) == "observed") >= 1);

        tracking.Dispose();
        metrics.Clear();
        metrics.Collect();
        Assert.DoesNotContain(metrics.Of("meshwork.rpc.server.connections"), p => p.Tag(RpcServerMetrics.ServerAttribute) == "observed");
    }
}
