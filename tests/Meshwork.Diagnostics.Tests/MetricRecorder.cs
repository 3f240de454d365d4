using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Meshwork.Diagnostics.Tests;

/// <summary>A MeterListener on the given meters that keeps every measurement with its tags.</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricRecorder(params string[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public sealed record Point(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public string? Tag(string key) => Tags.TryGetValue(key, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public ConcurrentQueue<Point> Points { get; } = new();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var t in tags) copy[t.Key] = t.Value;
        Points.Enqueue(new Point(instrument.Name, value, copy));
    }

    /// <summary>Runs the callbacks of observable instruments once, recording their values.</summary>
    public void Collect() => _listener.RecordObservableInstruments();

    public IEnumerable<Point> Of(string instrument) => Points.Where(p => p.Instrument == instrument);

    public double Sum(string instrument, Func<Point, bool>? where = null) => Of(instrument).Where(where ?? (_ => true)).Sum(p => p.Value);

    public void Clear() => Points.Clear();

    public void Dispose() => _listener.Dispose();
}
