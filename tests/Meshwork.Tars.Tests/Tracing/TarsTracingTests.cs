using System.Diagnostics;
using Meshwork.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Tars.Tests.Tracing;

/// <summary>W3C trace context across TARS hops: spans of <c>rpc.system</c> tars, keys in the request status and context maps, TarsGo and TarsJava keys accepted.</summary>
[Collection(TracingCollection.Name)]
public sealed class TarsTracingTests
{
    private const string ObjectName = "MeshTest.TraceServer.TraceObj";

    private static readonly TarsValueReader<string> ReadString = static (ref TarsReader r, int t) => r.ReadString(t, true);
    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);

    /// <summary>What the handler saw of one call.</summary>
    private sealed record Seen(IReadOnlyDictionary<string, string> Status, IReadOnlyDictionary<string, string> Context, ActivityTraceId? CurrentTraceId, ActivitySpanId? CurrentParent);

    private sealed class Msg(string msg) : ITarsArguments
    {
        public void WriteTo(TarsParameterWriter writer) => writer.Write(1, "msg", "string", msg, WriteString);
    }

    private static async Task<(TarsServer Server, string Proxy, List<Seen> Seen)> StartAsync()
    {
        var seen = new List<Seen>();
        var definition = new TarsServiceDefinition(ObjectName)
            .Add("echo", ctx =>
            {
                lock (seen) seen.Add(new Seen(ctx.RequestStatus, ctx.RequestContext, Activity.Current?.TraceId, Activity.Current?.ParentSpanId));
                ctx.Results.WriteReturn("string", ctx.Arguments.Read(1, "msg", ReadString), WriteString);
                return ValueTask.CompletedTask;
            })
            .Add("fail", _ => throw new TarsException(-9, "overloaded on purpose"));
        var server = new TarsServer().AddService(definition);
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        return (server, $"{ObjectName}@{endpoint}", seen);
    }

    private static async Task<string> EchoAsync(CallInvoker invoker, string msg, TarsInvocation? invocation = null)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(ObjectName, "echo"), invocation ?? new TarsInvocation(new Msg(msg)));
        return reply.Results.ReadReturn(ReadString);
    }

    [Theory]
    [InlineData(TarsVersion.Tars)]
    [InlineData(TarsVersion.Tup)]
    public async Task Client_and_server_spans_share_the_trace_across_a_tars_hop(short version)
    {
        using var spans = new SpanRecorder();
        var (server, proxy, seen) = await StartAsync();
        await using var _ = server;
        await using var channel = TarsChannel.ForProxy(proxy, new TarsClientOptions { Version = version });

        Assert.Equal("hi", await EchoAsync(channel, "hi"));
        await spans.WaitForAsync(s => s.Count(a => a.DisplayName == ObjectName + "/echo") >= 2, "client and server spans");

        var client = Assert.Single(spans.Of(ActivityKind.Client, ObjectName + "/echo"));
        var serverSpan = Assert.Single(spans.Of(ActivityKind.Server, ObjectName + "/echo"));
        foreach (var span in new[] { client, serverSpan })
        {
            Assert.Equal("tars", span.GetTagItem("rpc.system"));
            Assert.Equal(ObjectName, span.GetTagItem("rpc.service"));
            Assert.Equal("echo", span.GetTagItem("rpc.method"));
            Assert.Equal(0, span.GetTagItem(TarsTelemetry.ReturnCodeAttribute));
            Assert.Equal((int)version, span.GetTagItem(TarsTelemetry.VersionAttribute));
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
        }
        Assert.Equal(client.TraceId, serverSpan.TraceId);
        Assert.Equal(client.SpanId, serverSpan.ParentSpanId);
        Assert.True(serverSpan.HasRemoteParent);
        var call = Assert.Single(seen);
        Assert.Equal(client.Id, call.Status[TarsTelemetry.TraceParentKey]);   // where TarsGo reads it
        Assert.Equal(client.Id, call.Context[TarsTelemetry.TraceParentKey]);  // where Meshwork headers travel
        Assert.Equal(client.TraceId, call.CurrentTraceId);                    // the handler runs inside the server span
    }

    [Fact]
    public async Task A_failed_tars_call_marks_both_spans_with_its_return_code()
    {
        using var spans = new SpanRecorder();
        var (server, proxy, _) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(TarsMethods.Unary(ObjectName, "fail"), new TarsInvocation()));
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        await spans.WaitForAsync(s => s.Count(a => a.DisplayName == ObjectName + "/fail") >= 2, "client and server spans");
        foreach (var kind in new[] { ActivityKind.Client, ActivityKind.Server })
        {
            var span = Assert.Single(spans.Of(kind, ObjectName + "/fail"));
            Assert.Equal(-9, span.GetTagItem(TarsTelemetry.ReturnCodeAttribute));
            Assert.Equal(nameof(StatusCode.ResourceExhausted), span.GetTagItem("error.type"));
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.Contains("overloaded on purpose", span.StatusDescription, StringComparison.Ordinal);
        }
    }

    private static readonly Method<string, string> Relay =
        new("relay", "Relay", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    [Fact]
    public async Task Meshwork_rpc_then_tars_is_one_trace()
    {
        using var spans = new SpanRecorder();
        var (tars, proxy, _) = await StartAsync();
        await using var _t = tars;
        await using var toTars = TarsChannel.ForProxy(proxy);
        var instrumentedTars = new InstrumentedCallInvoker(toTars); // a logical span around the TARS call, as over governance
        // Hop 1: a Meshwork RPC server whose handler calls TARS (hop 2).
        await using var rpc = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "relay");
        rpc.Use(new ServerTelemetryMiddleware());
        rpc.AddService(new ServiceDefinition("relay").AddUnary(Relay, async (request, _) => "relay+" + await EchoAsync(instrumentedTars, request)));
        await rpc.StartAsync();
        await using var toRpc = RpcChannel.ForEndpoint(rpc.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(toRpc);

        using var root = new Activity("test-root").SetIdFormat(ActivityIdFormat.W3C).Start();
        Assert.Equal("relay+x", await client.UnaryAsync(Relay, "x"));
        root.Stop();
        await spans.WaitForAsync(s => s.Count(a => a.TraceId == root.TraceId) >= 5, "five spans in the trace");

        var trace = spans.Stopped.Where(a => a.TraceId == root.TraceId).ToList();
        var rpcClient = trace.Single(a => a.Kind == ActivityKind.Client && a.ParentSpanId == root.SpanId);
        var rpcServer = trace.Single(a => a.Kind == ActivityKind.Server && a.ParentSpanId == rpcClient.SpanId);
        var logical = trace.Single(a => a.Kind == ActivityKind.Client && a.ParentSpanId == rpcServer.SpanId);
        var tarsClient = trace.Single(a => a.Kind == ActivityKind.Client && a.ParentSpanId == logical.SpanId);
        var tarsServer = trace.Single(a => a.Kind == ActivityKind.Server && a.ParentSpanId == tarsClient.SpanId);
        Assert.Equal("meshwork", rpcServer.GetTagItem("rpc.system"));
        Assert.Equal("tars", tarsClient.GetTagItem("rpc.system"));
        Assert.Equal("tars", tarsServer.GetTagItem("rpc.system"));
    }

    [Fact]
    public async Task Trace_context_written_by_tarsgo_and_tarsjava_peers_is_accepted()
    {
        using var spans = new SpanRecorder(sampleClients: false); // no client span: the request maps arrive as written below
        var (server, proxy, _) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);

        // TarsGo's OpenTelemetry filter: W3C keys in the status map.
        const string goParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        await EchoAsync(channel, "go", new TarsInvocation(new Msg("go")) { Status = new Dictionary<string, string> { ["traceparent"] = goParent } });
        // TarsJava's Brave tracing: B3 keys (64-bit trace id) in the status map.
        await EchoAsync(channel, "java", new TarsInvocation(new Msg("java"))
        {
            Status = new Dictionary<string, string> { ["X-B3-TraceId"] = "463ac35c9f6413ad", ["X-B3-SpanId"] = "a2fb4a1d1a96d312", ["X-B3-Sampled"] = "1" },
        });
        // Malformed: a new trace, and the call still succeeds.
        Assert.Equal("bad", await EchoAsync(channel, "bad", new TarsInvocation(new Msg("bad")) { Status = new Dictionary<string, string> { ["traceparent"] = "00-zz-01" } }));
        await spans.WaitForAsync(s => s.Count(a => a.DisplayName == ObjectName + "/echo") >= 3, "three server spans");

        var servers = spans.Of(ActivityKind.Server, ObjectName + "/echo");
        var go = servers.Single(a => a.TraceId.ToHexString() == "0af7651916cd43dd8448eb211c80319c");
        Assert.Equal("b7ad6b7169203331", go.ParentSpanId.ToHexString());
        var java = servers.Single(a => a.TraceId.ToHexString() == "0000000000000000463ac35c9f6413ad");
        Assert.Equal("a2fb4a1d1a96d312", java.ParentSpanId.ToHexString());
        Assert.True(java.Recorded);
        Assert.Single(servers, a => a.ParentSpanId == default);
    }

    [Fact]
    public async Task Without_a_listener_nothing_is_added_and_a_current_span_is_still_propagated()
    {
        var (server, proxy, seen) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy(proxy);

        Assert.Null(Activity.Current);
        await EchoAsync(channel, "plain");
        using (var ambient = new Activity("ambient").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await EchoAsync(channel, "ambient");
            var traced = seen[1];
            Assert.Equal(ambient.Id, traced.Status[TarsTelemetry.TraceParentKey]);
            Assert.Equal(ambient.Id, traced.Context[TarsTelemetry.TraceParentKey]);
        }
        var plain = seen[0];
        Assert.False(plain.Status.ContainsKey(TarsTelemetry.TraceParentKey));
        Assert.False(plain.Context.ContainsKey(TarsTelemetry.TraceParentKey));
        Assert.Null(plain.CurrentTraceId); // no server span either
    }
}
