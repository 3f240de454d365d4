using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Meshwork.Diagnostics;

namespace Meshwork.Tars.Tests.Diagnostics;

/// <summary>One measurement with its tags.</summary>
internal sealed record Seen(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? this[string tag] => Tags.TryGetValue(tag, out var v) ? v : null;
}

/// <summary>
/// Records the TARS measurements (<c>rpc.system</c> = tars) of one object name on the Meshwork.Rpc meter, client and
/// server side alike. Tests run in parallel, so each uses its own object name and keeps only that name's measurements
/// (and those counted under <c>_OTHER</c>).
/// </summary>
internal sealed class TarsMetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _objectName;

    public TarsMetricRecorder(string objectName)
    {
        _objectName = objectName;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeshworkTelemetry.RpcMeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public ConcurrentQueue<Seen> Measurements { get; } = new();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>();
        foreach (var t in tags) map[t.Key] = t.Value;
        if (map.GetValueOrDefault("rpc.system") as string != TarsTelemetry.RpcSystem) return;
        var service = map.GetValueOrDefault("rpc.service") as string;
        if (service != _objectName && service != TarsTelemetry.UnknownName) return;
        Measurements.Enqueue(new Seen(instrument.Name, value, map));
    }

    /// <summary>The measurements of one instrument for this object name (and one function, when given), in the order they were made.</summary>
    public List<Seen> Of(string instrument, string? method = null) =>
        [.. Measurements.Where(m => m.Instrument == instrument && m["rpc.service"] as string == _objectName && (method is null || m["rpc.method"] as string == method))];

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// A Meshwork TARS server on a free loopback port serving the echo service under one object name, a channel and client
/// to it, and a recorder of that name's measurements: the setup of the metrics tests.
/// </summary>
internal sealed class MetricsEcho : IAsyncDisposable
{
    private readonly TarsServer _server;

    private MetricsEcho(TarsMetricRecorder recorder, TarsServer server, Echo.EchoService service, string proxy, string objectName)
    {
        Recorder = recorder;
        Proxy = proxy;
        var channel = TarsChannel.ForProxy(proxy);
        _server = server;
        Service = service;
        Channel = channel;
        Client = new Echo.EchoClient(channel, objectName);
    }

    public TarsMetricRecorder Recorder { get; }

    /// <summary>The proxy string of the served object (<c>name@tcp -h … -p …</c>).</summary>
    public string Proxy { get; }

    public Echo.EchoService Service { get; }

    public TarsChannel Channel { get; }

    public Echo.EchoClient Client { get; }

    public static async Task<MetricsEcho> StartAsync(string objectName, TarsServerOptions? serverOptions = null)
    {
        var recorder = new TarsMetricRecorder(objectName);
        var service = new Echo.EchoService();
        var server = new TarsServer(serverOptions).AddService(service.Definition(objectName));
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        return new MetricsEcho(recorder, server, service, $"{objectName}@{endpoint}", objectName);
    }

    public void Deconstruct(out TarsMetricRecorder recorder, out Echo.EchoService service, out TarsChannel channel, out Echo.EchoClient client) =>
        (recorder, service, channel, client) = (Recorder, Service, Channel, Client);

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        await _server.DisposeAsync();
        Recorder.Dispose();
    }
}
