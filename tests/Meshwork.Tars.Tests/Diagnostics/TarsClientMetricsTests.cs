using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Echo;
using Meshwork.Tars.Tests.Interop;

namespace Meshwork.Tars.Tests.Diagnostics;

/// <summary>
/// TARS client call metrics, read with a <see cref="MeterListener"/> while a Meshwork <see cref="TarsChannel"/> calls a
/// real TARS server over TCP (Meshwork's, and the Node peer's): the native client's instrument names and tags, with
/// <c>rpc.system</c> = tars and the status the TARS code maps to. Each test calls its own object name and keeps only
/// measurements of that name (other tests run in parallel).
/// </summary>
public sealed class TarsClientMetricsTests
{

    /// <summary>
    /// Checks a call's tags: <c>rpc.system</c>, the status, the TARS code (absent when null) and <c>error.type</c>, which
    /// only the errors counter carries (as on the native client: calls and durations are split by status alone).
    /// </summary>
    private static void AssertOutcome(Seen measurement, StatusCode status, int? returnCode)
    {
        Assert.Equal(TarsTelemetry.RpcSystem, measurement["rpc.system"]);
        Assert.Equal((int)status, measurement["rpc.meshwork.status_code"]);
        Assert.Equal<object?>(returnCode, measurement[TarsTelemetry.ReturnCodeAttribute]);
        Assert.Equal(measurement.Instrument == "meshwork.rpc.client.errors" ? status.ToString() : null, measurement["error.type"]);
    }

    [Fact]
    public async Task Calls_durations_and_sizes_are_recorded_with_the_native_client_names_and_rpc_system_tars()
    {
        const string objectName = "MeshTest.MetricsClient.CallsObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, _, channel, client) = echo;

        for (int i = 0; i < 3; i++) Assert.Equal("hello", await client.EchoAsync("hello"));
        await client.EchoOneWayAsync("one-way");

        // Three two-way calls and one one-way call (finished once written), all OK with iRet 0.
        var calls = recorder.Of("meshwork.rpc.client.calls", "echo");
        Assert.Equal(4, calls.Sum(m => m.Value));
        Assert.All(calls, m => AssertOutcome(m, StatusCode.OK, TarsReturnCode.Success));
        Assert.Empty(recorder.Of("meshwork.rpc.client.errors"));
        var durations = recorder.Of("rpc.client.call.duration", "echo");
        Assert.Equal(4, durations.Count);
        Assert.All(durations, d => AssertOutcome(d, StatusCode.OK, TarsReturnCode.Success));
        Assert.All(durations, d => Assert.True(d.Value >= 0));
        var active = recorder.Of("meshwork.rpc.client.active_calls", "echo");
        Assert.Equal(4, active.Count(a => a.Value == 1));
        Assert.Equal(0, active.Sum(a => a.Value));

        // The client measures the frames it sent and received; the server measures the same frames from its side.
        await Eventually.TrueAsync(() => recorder.Of("rpc.server.request.size", "echo").Count == 4, "the server received all four requests, the one-way one included");
        var sent = recorder.Of("rpc.client.request.size", "echo");
        Assert.Equal(4, sent.Count);
        Assert.Equal(recorder.Of("rpc.server.request.size", "echo").Select(m => m.Value).Order(), sent.Select(m => m.Value).Order());
        var received = recorder.Of("rpc.client.response.size", "echo");
        Assert.Equal(3, received.Count); // a one-way call gets no reply
        Assert.Equal(recorder.Of("rpc.server.response.size", "echo").Select(m => m.Value).Order(), received.Select(m => m.Value).Order());
        Assert.All(sent.Concat(received), m => Assert.Equal(new[] { "rpc.method", "rpc.service", "rpc.system" }, m.Tags.Keys.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task A_call_waiting_for_its_reply_is_counted_in_flight_until_the_reply_comes()
    {
        const string objectName = "MeshTest.MetricsClient.InFlightObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, service, channel, client) = echo;

        var waiting = client.CallAsync("wait", new CallOptions { Timeout = TimeSpan.FromSeconds(60) });
        await Eventually.TrueAsync(() => recorder.Of("meshwork.rpc.client.active_calls", "wait").Sum(a => a.Value) == 1, "the wait call counted in flight");
        Assert.Empty(recorder.Of("meshwork.rpc.client.calls", "wait"));
        service.Gate.SetResult();
        await waiting;
        Assert.Equal(0, recorder.Of("meshwork.rpc.client.active_calls", "wait").Sum(a => a.Value));
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.calls", "wait")), StatusCode.OK, TarsReturnCode.Success);
    }

    [Fact]
    public async Task A_cancelled_call_is_counted_as_Cancelled_without_a_tars_code()
    {
        const string objectName = "MeshTest.MetricsClient.CancelObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, service, channel, client) = echo;
        using var cancel = new CancellationTokenSource();
        try
        {
            var waiting = client.CallAsync("wait", new CallOptions { Timeout = TimeSpan.FromSeconds(60), CancellationToken = cancel.Token });
            // Cancelled once its request is on the wire: the server's handler is running.
            await Eventually.TrueAsync(() => recorder.Of("meshwork.rpc.server.active_calls", "wait").Sum(a => a.Value) == 1, "the server runs the wait call");
            Assert.Equal(1, recorder.Of("meshwork.rpc.client.active_calls", "wait").Sum(a => a.Value));
            await cancel.CancelAsync();
            var e = await Assert.ThrowsAsync<RpcException>(() => waiting);
            Assert.Equal(StatusCode.Cancelled, e.Status);
        }
        finally
        {
            service.Gate.TrySetResult();
        }
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.errors", "wait")), StatusCode.Cancelled, returnCode: null);
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.calls", "wait")), StatusCode.Cancelled, returnCode: null);
        Assert.Equal(0, recorder.Of("meshwork.rpc.client.active_calls", "wait").Sum(a => a.Value));
    }

    [Fact]
    public async Task A_tars_error_code_is_counted_as_an_error_with_the_status_the_server_records()
    {
        const string objectName = "MeshTest.MetricsClient.ErrorObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, _, channel, client) = echo;

        var overload = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(TarsReturnCode.ServerOverload));
        Assert.Equal(StatusCode.ResourceExhausted, overload.Status);
        var nosuch = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync("nosuch"));
        Assert.Equal(TarsReturnCode.NoFunction, nosuch.GetTarsReturnCode());

        var failCall = Assert.Single(recorder.Of("meshwork.rpc.client.calls", "fail"));
        AssertOutcome(failCall, StatusCode.ResourceExhausted, TarsReturnCode.ServerOverload);
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.errors", "fail")), StatusCode.ResourceExhausted, TarsReturnCode.ServerOverload);
        AssertOutcome(Assert.Single(recorder.Of("rpc.client.call.duration", "fail")), StatusCode.ResourceExhausted, TarsReturnCode.ServerOverload);
        // The same status attribute and TARS code as the server's measurement of that call.
        var serverCall = Assert.Single(recorder.Of("meshwork.rpc.server.calls", "fail"));
        Assert.Equal(serverCall["rpc.meshwork.status_code"], failCall["rpc.meshwork.status_code"]);
        Assert.Equal(serverCall[TarsTelemetry.ReturnCodeAttribute], failCall[TarsTelemetry.ReturnCodeAttribute]);
        // The error reply is a reply: its size is measured.
        Assert.Single(recorder.Of("rpc.client.response.size", "fail"));

        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.errors", "nosuch")), StatusCode.Unimplemented, TarsReturnCode.NoFunction);
        Assert.Equal(0, recorder.Of("meshwork.rpc.client.active_calls").Sum(a => a.Value));
    }

    [Fact]
    public async Task A_timeout_is_counted_as_DeadlineExceeded_with_the_tars_invoke_timeout_code()
    {
        const string objectName = "MeshTest.MetricsClient.TimeoutObj";
        // The client's timeout only: a server that honours it times the call out from its own copy of the deadline,
        // and its "queue timeout" reply (-6) can then reach the client before the client's own sweep fails the call.
        await using var echo = await MetricsEcho.StartAsync(objectName, new TarsServerOptions { HonorClientTimeout = false });
        var (recorder, service, channel, client) = echo;
        try
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync("wait", new CallOptions { Timeout = TimeSpan.FromMilliseconds(200) }));
            Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
            Assert.Equal(TarsReturnCode.InvokeTimeout, e.GetTarsReturnCode());
        }
        finally
        {
            service.Gate.TrySetResult();
        }

        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.calls", "wait")), StatusCode.DeadlineExceeded, TarsReturnCode.InvokeTimeout);
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.errors", "wait")), StatusCode.DeadlineExceeded, TarsReturnCode.InvokeTimeout);
        AssertOutcome(Assert.Single(recorder.Of("rpc.client.call.duration", "wait")), StatusCode.DeadlineExceeded, TarsReturnCode.InvokeTimeout);
        Assert.Single(recorder.Of("rpc.client.request.size", "wait"));
        Assert.Empty(recorder.Of("rpc.client.response.size", "wait")); // no reply came
        var active = recorder.Of("meshwork.rpc.client.active_calls", "wait");
        Assert.Single(active, a => a.Value == 1);
        Assert.Equal(0, active.Sum(a => a.Value));
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Calls_to_the_Node_TARS_server_are_measured()
    {
        const string objectName = "MeshTest.MetricsClient.NodeObj";
        using var recorder = new TarsMetricRecorder(objectName);
        await using var node = await NodeTarsPeer.StartServerAsync("--dump", "--servant", objectName);
        await using var channel = TarsChannel.ForProxy(node.Proxy(objectName));
        var client = new EchoClient(channel, objectName);

        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        var fail = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(TarsReturnCode.ServerOverload));
        Assert.Equal(TarsReturnCode.ServerOverload, fail.GetTarsReturnCode());

        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.calls", "add")), StatusCode.OK, TarsReturnCode.Success);
        AssertOutcome(Assert.Single(recorder.Of("rpc.client.call.duration", "add")), StatusCode.OK, TarsReturnCode.Success);
        AssertOutcome(Assert.Single(recorder.Of("meshwork.rpc.client.errors", "fail")), StatusCode.ResourceExhausted, TarsReturnCode.ServerOverload);
        Assert.Equal(0, recorder.Of("meshwork.rpc.client.active_calls").Sum(a => a.Value));

        // The sizes are those of the frames the Node server read and wrote (its --dump log), in call order: add, then fail.
        await Eventually.TrueAsync(() => FrameLengths(node.Log, "SERVER -> ").Count >= 2, "the Node server logged both replies");
        var read = FrameLengths(node.Log, "SERVER <- ");
        var written = FrameLengths(node.Log, "SERVER -> ");
        Assert.Equal(read[0], Assert.Single(recorder.Of("rpc.client.request.size", "add")).Value);
        Assert.Equal(read[1], Assert.Single(recorder.Of("rpc.client.request.size", "fail")).Value);
        Assert.Equal(written[0], Assert.Single(recorder.Of("rpc.client.response.size", "add")).Value);
        Assert.Equal(written[1], Assert.Single(recorder.Of("rpc.client.response.size", "fail")).Value);
    }

    /// <summary>The lengths of the TARS frames in the hex chunks the Node peer logged under <paramref name="prefix"/>, in order.</summary>
    private static List<int> FrameLengths(string log, string prefix)
    {
        var bytes = Convert.FromHexString(string.Concat(log.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..])));
        var lengths = new List<int>();
        for (int at = 0; at + 4 <= bytes.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (length < 4 || at + length > bytes.Length) break; // a frame still being logged
            lengths.Add(length);
            at += length;
        }
        return lengths;
    }
}
