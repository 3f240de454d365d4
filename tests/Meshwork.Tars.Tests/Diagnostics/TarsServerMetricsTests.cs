using System.Diagnostics.Metrics;
using System.Text.Json;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Echo;
using Meshwork.Tars.Tests.Interop;

namespace Meshwork.Tars.Tests.Diagnostics;

/// <summary>
/// TARS server call metrics, read with a <see cref="MeterListener"/> while real clients (Meshwork's and the Node peer)
/// call a Meshwork TARS server over TCP: the native server's instrument names and tags, with <c>rpc.system</c> = tars.
/// Each test serves its own object name and keeps only measurements of that name (other tests run in parallel).
/// </summary>
public sealed class TarsServerMetricsTests
{

    [Fact]
    public async Task Calls_errors_durations_and_sizes_are_recorded_with_the_native_names_and_rpc_system_tars()
    {
        const string objectName = "MeshTest.MetricsServer.CallsObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, _, channel, client) = echo;

        for (int i = 0; i < 3; i++) Assert.Equal("hello", await client.EchoAsync("hello"));
        var failed = await Assert.ThrowsAsync<RpcException>(() => client.FailAsync(TarsReturnCode.ServerQueueTimeout));
        Assert.Equal(StatusCode.DeadlineExceeded, failed.Status);

        // The server records a call before it writes the reply, so everything is in once the client has its answers.
        var calls = recorder.Of("meshwork.rpc.server.calls");
        Assert.Equal(3, calls.Where(m => m["rpc.method"] as string == "echo").Sum(m => m.Value));
        Assert.All(calls.Where(m => m["rpc.method"] as string == "echo"), m =>
        {
            Assert.Equal((int)StatusCode.OK, m["rpc.meshwork.status_code"]);
            Assert.Equal(TarsReturnCode.Success, m[TarsTelemetry.ReturnCodeAttribute]);
            Assert.Null(m["error.type"]);
        });
        var failCall = Assert.Single(calls, m => m["rpc.method"] as string == "fail");
        Assert.Equal((int)StatusCode.DeadlineExceeded, failCall["rpc.meshwork.status_code"]);
        Assert.Equal(TarsReturnCode.ServerQueueTimeout, failCall[TarsTelemetry.ReturnCodeAttribute]);

        var errors = recorder.Of("meshwork.rpc.server.errors");
        var error = Assert.Single(errors);
        Assert.Equal("fail", error["rpc.method"]);
        Assert.Equal(nameof(StatusCode.DeadlineExceeded), error["error.type"]);

        var durations = recorder.Of("rpc.server.call.duration");
        Assert.Equal(4, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value >= 0));

        var requests = recorder.Of("rpc.server.request.size", "echo");
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.True(r.Value > "hello".Length + objectName.Length, $"request frame of {r.Value} bytes"));
        var replies = recorder.Of("rpc.server.response.size", "echo");
        Assert.Equal(3, replies.Count);
        Assert.All(replies, r => Assert.True(r.Value > "hello".Length, $"reply frame of {r.Value} bytes"));

        // Every call counted in flight was counted out again.
        var active = recorder.Of("meshwork.rpc.server.active_calls");
        Assert.Equal(4, active.Count(a => a.Value == 1));
        Assert.Equal(0, active.Sum(a => a.Value));
    }

    [Fact]
    public async Task A_running_handler_is_counted_in_flight_until_it_ends()
    {
        const string objectName = "MeshTest.MetricsServer.InFlightObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, service, channel, client) = echo;

        var waiting = client.CallAsync("wait");
        await Eventually.TrueAsync(() => recorder.Of("meshwork.rpc.server.active_calls", "wait").Sum(a => a.Value) == 1, "the wait call counted in flight");
        Assert.Empty(recorder.Of("meshwork.rpc.server.calls", "wait"));
        service.Gate.SetResult();
        await waiting;
        Assert.Equal(0, recorder.Of("meshwork.rpc.server.active_calls", "wait").Sum(a => a.Value));
        Assert.Single(recorder.Of("meshwork.rpc.server.calls", "wait"));
    }

    [Fact]
    public async Task Calls_to_names_the_server_does_not_serve_are_counted_under_OTHER()
    {
        const string objectName = "MeshTest.MetricsServer.UnknownObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, _, channel, client) = echo;

        var e = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync("no_such_function_" + Guid.NewGuid().ToString("N")));
        Assert.Equal(TarsReturnCode.NoFunction, e.GetTarsReturnCode());
        var error = Assert.Single(recorder.Of("meshwork.rpc.server.errors"));
        Assert.Equal(TarsTelemetry.UnknownName, error["rpc.method"]);
        Assert.Equal(nameof(StatusCode.Unimplemented), error["error.type"]);
        Assert.Equal(TarsReturnCode.NoFunction, error[TarsTelemetry.ReturnCodeAttribute]);
    }

    [Fact]
    [Trait("Category", "Interop")]
    public async Task Calls_of_the_Node_TARS_client_are_measured()
    {
        const string objectName = "MeshTest.MetricsServer.NodeObj";
        await using var echo = await MetricsEcho.StartAsync(objectName);
        var (recorder, proxy) = (echo.Recorder, echo.Proxy);

        JsonElement r = await NodeTarsPeer.CallAsync(proxy, "add", "[2,40]", []);
        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        r = await NodeTarsPeer.CallAsync(proxy, "fail", "[-9]", []);
        Assert.False(r.GetProperty("ok").GetBoolean(), r.ToString());

        var add = Assert.Single(recorder.Of("meshwork.rpc.server.calls", "add"));
        Assert.Equal((int)StatusCode.OK, add["rpc.meshwork.status_code"]);
        var fail = Assert.Single(recorder.Of("meshwork.rpc.server.errors", "fail"));
        Assert.Equal(nameof(StatusCode.ResourceExhausted), fail["error.type"]);
        Assert.Single(recorder.Of("rpc.server.request.size", "add"));
        Assert.Single(recorder.Of("rpc.server.call.duration", "add"));
    }
}
