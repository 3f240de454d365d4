using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Diagnostics.Tests;

/// <summary>
/// An in-process OTLP/HTTP receiver on a free loopback port (no collector is available here): accepts the protobuf
/// POSTs of <c>/v1/traces</c> and <c>/v1/metrics</c>, keeps their bodies, and answers as a collector does.
/// </summary>
internal sealed class FakeOtlpReceiver : IAsyncDisposable
{
    private KestrelHost _host = null!;

    public ConcurrentQueue<(string Path, string ContentType, byte[] Body)> Requests { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<FakeOtlpReceiver> StartAsync()
    {
        var receiver = new FakeOtlpReceiver();
        RequestDelegate accept = async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver.Requests.Enqueue((context.Request.Path.Value!, context.Request.ContentType ?? "", body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = 200; // an empty Export*ServiceResponse is zero bytes
        };
        receiver._host = await KestrelHost.StartAsync(map: app =>
        {
            app.MapPost("/v1/traces", accept);
            app.MapPost("/v1/metrics", accept);
        });
        receiver.BaseAddress = receiver._host.Address;
        return receiver;
    }

    public IEnumerable<byte[]> Bodies(string path) => Requests.Where(r => r.Path == path).Select(r => r.Body);

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
