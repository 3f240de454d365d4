using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Diagnostics.Tests;

[Collection(TelemetryCollection.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task Client_and_server_spans_follow_the_rpc_conventions_and_share_the_trace()
    {
        using var spans = new SpanRecorder();
        string? traceparent = null;
        await using var server = await Echo.StartAsync(Echo.Define(onSay: c => traceparent = c.RequestHeaders?.Get(TraceContext.TraceParentKey)), "a");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        Assert.Equal("hi", await client.UnaryAsync(Echo.Say, "hi"));
        await spans.WaitForAsync(2, "client and server spans");

        var c = spans.Single(ActivityKind.Client, "echo/Say");
        var s = spans.Single(ActivityKind.Server, "echo/Say");
        foreach (var span in new[] { c, s })
        {
            Assert.Equal("meshwork", span.GetTagItem(RpcAttributes.System));
            Assert.Equal("echo", span.GetTagItem(RpcAttributes.Service));
            Assert.Equal("Say", span.GetTagItem(RpcAttributes.Method));
            Assert.Equal(0, span.GetTagItem(RpcAttributes.StatusCode));
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
        }
        Assert.Equal(c.TraceId, s.TraceId);
        Assert.Equal(c.SpanId, s.ParentSpanId);
        Assert.True(s.HasRemoteParent);
        Assert.Equal(c.Id, traceparent);
    }

    [Fact]
    public async Task One_trace_id_spans_client_to_server_A_to_server_B()
    {
        using var spans = new SpanRecorder();
        await using var b = await Echo.StartAsync(Echo.Define(), "b");
        await using var toB = RpcChannel.ForEndpoint(b.BoundEndpoints[0]);
        var invokerB = new InstrumentedCallInvoker(toB);
        // Server A answers by calling server B: the second hop.
        await using var a = await Echo.StartAsync(Echo.Define(say: async (request, context) =>
            "a+" + await invokerB.UnaryAsync(Echo.Say, request, new CallOptions(context.CancellationToken))), "a");
        await using var toA = RpcChannel.ForEndpoint(a.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(toA);

        using var root = new Activity("test-root").SetIdFormat(ActivityIdFormat.W3C).Start();
        Assert.Equal("a+x", await client.UnaryAsync(Echo.Say, "x"));
        root.Stop();
        await spans.WaitForAsync(4, "four spans (client, server A, client in A, server B)");

        var spansInTrace = spans.Stopped.Where(x => x.TraceId == root.TraceId).ToList();
        Assert.Equal(4, spansInTrace.Count);
        var clientSpan = spansInTrace.Single(x => x.Kind == ActivityKind.Client && x.ParentSpanId == root.SpanId);
        var serverA = spansInTrace.Single(x => x.Kind == ActivityKind.Server && x.ParentSpanId == clientSpan.SpanId);
        var clientInA = spansInTrace.Single(x => x.Kind == ActivityKind.Client && x.ParentSpanId == serverA.SpanId);
        var serverB = spansInTrace.Single(x => x.Kind == ActivityKind.Server && x.ParentSpanId == clientInA.SpanId);
        Assert.Equal("echo/Say", serverB.DisplayName);
    }

    [Fact]
    public async Task A_failed_call_marks_both_spans_with_its_status()
    {
        using var spans = new SpanRecorder();
        await using var server = await Echo.StartAsync(Echo.Define(), "a");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.UnaryAsync(Echo.Fail, "x"));
        Assert.Equal(StatusCode.FailedPrecondition, e.Status);
        await spans.WaitForAsync(2, "client and server spans");

        foreach (var kind in new[] { ActivityKind.Client, ActivityKind.Server })
        {
            var span = spans.Single(kind, "echo/Fail");
            Assert.Equal((int)StatusCode.FailedPrecondition, span.GetTagItem(RpcAttributes.StatusCode));
            Assert.Equal("FailedPrecondition", span.GetTagItem(RpcAttributes.ErrorType));
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.Contains("refused: x", span.StatusDescription);
        }
    }

    [Fact]
    public async Task A_server_stream_span_ends_after_the_last_message()
    {
        using var spans = new SpanRecorder();
        await using var server = await Echo.StartAsync(Echo.Define(), "a");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        int received = 0;
        await foreach (var _ in client.ServerStreaming(Echo.Count, 5))
        {
            received++;
            Assert.DoesNotContain(spans.Stopped, x => x.Kind == ActivityKind.Client);
        }
        Assert.Equal(5, received);
        await spans.WaitForAsync(2, "client and server spans of the stream");
        Assert.Equal(spans.Single(ActivityKind.Client, "echo/Count").SpanId, spans.Single(ActivityKind.Server, "echo/Count").ParentSpanId);
    }

    [Fact]
    public async Task A_malformed_traceparent_starts_a_new_trace_instead_of_failing_the_call()
    {
        using var spans = new SpanRecorder();
        await using var server = await Echo.StartAsync(Echo.Define(), "a");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);

        var headers = new Metadata { { TraceContext.TraceParentKey, "00-not-a-trace-01" } };
        Assert.Equal("ok", await channel.UnaryAsync(Echo.Say, "ok", new CallOptions { Headers = headers }));
        await spans.WaitForAsync(1, "server span");
        var s = spans.Single(ActivityKind.Server, "echo/Say");
        Assert.Equal(default, s.ParentSpanId);
    }

    [Fact]
    public async Task Without_listeners_nothing_is_recorded_and_no_trace_headers_are_sent()
    {
        Assert.Null(Activity.Current);
        Metadata? seen = null;
        bool sawSpan = false;
        await using var server = await Echo.StartAsync(Echo.Define(onSay: c =>
        {
            seen = c.RequestHeaders;
            sawSpan = Activity.Current is not null;
        }), "a");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);

        Assert.False(RpcInstruments.ClientObserved);
        Assert.Equal("x", await client.UnaryAsync(Echo.Say, "x"));
        Assert.Null(seen?.Get(TraceContext.TraceParentKey));
        Assert.False(sawSpan);
    }
}
