using System.Net;
using System.Text.Json;
using Meshwork.Discovery;
using Meshwork.Governance.Server;
using Meshwork.Health;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.Diagnostics.Tests;

public sealed class HealthTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(KestrelHost host, string path)
    {
        using var response = await host.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Liveness_readiness_disk_cpu_and_ram_endpoints_report_their_checks()
    {
        await using var host = await KestrelHost.StartAsync(s => s.AddMeshworkHealthChecks(), app => app.MapMeshworkHealth());

        var (status, live) = await GetAsync(host, "/health/live");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        Assert.Equal(["meshwork-live"], live.GetProperty("checks").EnumerateObject().Select(p => p.Name));

        (status, var ready) = await GetAsync(host, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["meshwork-disk", "meshwork-drain", "meshwork-memory"], ready.GetProperty("checks").EnumerateObject().Select(p => p.Name).Order());

        (_, var disk) = await GetAsync(host, "/health/disk");
        Assert.True(disk.GetProperty("checks").GetProperty("meshwork-disk").GetProperty("data").GetProperty("freeBytes").GetInt64() > 0);
        (_, var cpu) = await GetAsync(host, "/health/cpu");
        var ratio = cpu.GetProperty("checks").GetProperty("meshwork-cpu").GetProperty("data").GetProperty("usedRatio").GetDouble();
        Assert.InRange(ratio, 0, 1);
        (_, var ram) = await GetAsync(host, "/health/ram");
        Assert.True(ram.GetProperty("checks").GetProperty("meshwork-memory").GetProperty("data").GetProperty("workingSetBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Thresholds_decide_unhealthy_and_degraded_and_unhealthy_answers_503()
    {
        await using var host = await KestrelHost.StartAsync(s => s.AddMeshworkHealthChecks(o =>
        {
            o.DiskMinFreeBytes = long.MaxValue;        // no disk has that much free
            o.CpuDegradedRatio = 0;                    // any use is "high"
        }), app => app.MapMeshworkHealth());

        var (status, disk) = await GetAsync(host, "/health/disk");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("below the minimum", disk.GetProperty("checks").GetProperty("meshwork-disk").GetProperty("description").GetString(), StringComparison.Ordinal);
        (status, _) = await GetAsync(host, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        (status, var live) = await GetAsync(host, "/health/live");
        Assert.Equal(HttpStatusCode.OK, status); // a full disk is no reason to restart the process
        (status, var cpu) = await GetAsync(host, "/health/cpu");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", cpu.GetProperty("status").GetString());
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("DiskPath", "")]
    [InlineData("MemoryUnhealthyRatio", "1.5")]
    [InlineData("CpuSampleWindow", "0")]
    public void Invalid_health_options_are_refused_with_the_setting_named(string option, string value)
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<ArgumentException>(() => services.AddMeshworkHealthChecks(o =>
        {
            switch (option)
            {
                case "DiskPath": o.DiskPath = value; break;
                case "MemoryUnhealthyRatio": o.MemoryUnhealthyRatio = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "CpuSampleWindow": o.CpuSampleWindow = TimeSpan.Zero; break;
            }
        }));
        Assert.Contains(option, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_turns_false_when_a_drain_starts_while_the_server_still_serves_calls()
    {
        var registry = new StaticServiceRegistry();
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "draining");
        server.AddService(Echo.Define());
        await using var host = await KestrelHost.StartAsync(s => s.AddMeshworkHealthChecks(), app => app.MapMeshworkHealth());
        var readiness = host.App.Services.GetRequiredService<Readiness>();
        var health = new MeshworkHealthService(readiness, host.App.Services.GetRequiredService<HealthCheckService>(), [Echo.Service]);
        server.AddService(health.Define());
        // A long propagation delay: the test ends it by cancelling, after checking what happens inside it.
        var discoverable = new DiscoverableServer(server, registry, new ServiceAnnouncement { PropagationDelay = TimeSpan.FromMinutes(5) });
        readiness.TrackDrain(discoverable);
        await discoverable.StartAsync();
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);

        Assert.Equal(HealthServiceContract.Serving, await MeshworkHealthService.CheckAsync(channel));
        Assert.Equal(HealthServiceContract.Serving, await MeshworkHealthService.CheckAsync(channel, Echo.Service));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await MeshworkHealthService.CheckAsync(channel, "nope"));
        Assert.Equal(StatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/ready")).StatusCode);
        var watch = channel.ServerStreaming(HealthServiceContract.Watch, "").GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(HealthServiceContract.Serving, watch.Current);

        using var endDrain = new CancellationTokenSource();
        var drain = discoverable.DrainAsync(endDrain.Token);
        // The watch is told at once, over the same connection (no go-away has been sent).
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Eventually.Timeout));
        Assert.Equal(HealthServiceContract.NotServing, watch.Current);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Http.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HealthServiceContract.NotServing, await MeshworkHealthService.CheckAsync(channel));
        Assert.Equal("still served", await channel.UnaryAsync(Echo.Say, "still served"));
        Assert.False(drain.IsCompleted);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/live")).StatusCode);

        await endDrain.CancelAsync();
        await watch.DisposeAsync();
        await drain.WaitAsync(Eventually.Timeout);
        await discoverable.DisposeAsync();
    }
}
