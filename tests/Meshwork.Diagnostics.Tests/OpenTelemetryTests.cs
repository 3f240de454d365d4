using System.Diagnostics;
using System.Text;
using Meshwork.Diagnostics.OpenTelemetry;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Meshwork.Diagnostics.Tests;

[Collection(TelemetryCollection.Name)]
public sealed class OpenTelemetryTests
{
    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [Fact]
    public async Task Spans_and_metrics_reach_an_otlp_receiver_and_the_prometheus_endpoint()
    {
        await using var receiver = await FakeOtlpReceiver.StartAsync();
        await using var host = await KestrelHost.StartAsync(services => services.AddMeshworkTelemetry(o =>
        {
            o.ServiceName = "otel-test-node";
            o.OtlpEndpoint = receiver.BaseAddress;
        }), app => app.MapMeshworkMetrics());
        var app = host.App;

        await using var server = await Echo.StartAsync(Echo.Define(), "otel");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);
        // A sampled caller span (the parent-based sampler follows the parent's decision).
        using var root = new Activity("otel-root").SetIdFormat(ActivityIdFormat.W3C);
        root.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        root.Start();
        await client.UnaryAsync(Echo.Say, "x");
        root.Stop();

        // Export now rather than waiting out the batch delay and the export interval.
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(30_000));
        // (The Prometheus reader is pull-only and reports false for a flush; the OTLP reader still exports.)
        app.Services.GetRequiredService<MeterProvider>().ForceFlush(30_000);
        await Eventually.TrueAsync(() => receiver.Bodies("/v1/metrics").Any(), "an OTLP metrics export");

        var traces = receiver.Bodies("/v1/traces").ToList();
        Assert.NotEmpty(traces);
        Assert.All(receiver.Requests, r => Assert.Equal("application/x-protobuf", r.ContentType));
        var traceId = new byte[16];
        root.TraceId.CopyTo(traceId);
        Assert.Contains(traces, t => Contains(t, "echo/Say"u8) && Contains(t, traceId) && Contains(t, "otel-test-node"u8) && Contains(t, "meshwork"u8));
        var metrics = receiver.Bodies("/v1/metrics").ToList();
        Assert.Contains(metrics, m => Contains(m, "rpc.server.call.duration"u8) && Contains(m, "meshwork.rpc.client.calls"u8));

        var text = await host.Http.GetStringAsync("/metrics");
        Assert.Contains("rpc_server_call_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("meshwork_rpc_client_calls_total{", text, StringComparison.Ordinal);
        Assert.Contains("rpc_service=\"echo\"", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relative", "absolute URI")]
    [InlineData("ftp://x/", "http or https")]
    public void Invalid_options_are_refused_with_the_setting_named(string endpoint, string expected)
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<ArgumentException>(() => services.AddMeshworkTelemetry(o => o.OtlpEndpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute)));
        Assert.Contains("OtlpEndpoint", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        var ratio = Assert.Throws<ArgumentException>(() => services.AddMeshworkTelemetry(o => o.SamplingRatio = 2));
        Assert.Contains("SamplingRatio", ratio.Message, StringComparison.Ordinal);
    }
}
