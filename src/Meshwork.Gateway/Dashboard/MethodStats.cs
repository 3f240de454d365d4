using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Diagnostics;

namespace Meshwork.Gateway.Dashboard;

/// <summary>
/// Per-method call rate, error rate and latency percentiles for the charts, from the call-duration histograms of the
/// <see cref="MeshworkTelemetry.RpcMeterName"/> meter (client and server side). Per-second buckets over a sliding
/// window; each bucket keeps at most <see cref="SamplesPerSecond"/> latencies, so memory is bounded per method.
/// </summary>
internal sealed class MethodStats : IDisposable
{
    public const int SamplesPerSecond = 128;
    private const int Buckets = 60;

    private readonly MeterListener _listener = new();
    private readonly Dictionary<(string Side, string Service, string Method), Series> _series = new();
    private readonly Lock _gate = new();
    private readonly int _max;

    public MethodStats(int maxTracked)
    {
        _max = maxTracked;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeshworkTelemetry.RpcMeterName && instrument.Name is "rpc.client.call.duration" or "rpc.server.call.duration")
            {
                listener.EnableMeasurementEvents(instrument, instrument.Name.StartsWith("rpc.client", StringComparison.Ordinal) ? "client" : "server");
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    private void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? service = null, method = null;
        int status = 0;
        foreach (var t in tags)
        {
            switch (t.Key)
            {
                case RpcAttributes.Service: service = t.Value as string; break;
                case RpcAttributes.Method: method = t.Value as string; break;
                case RpcAttributes.StatusCode: status = t.Value is int i ? i : 0; break;
            }
        }
        if (service is null || method is null) return;
        var key = ((string)state!, service, method);
        Series? series;
        lock (_gate)
        {
            if (!_series.TryGetValue(key, out series))
            {
                if (_series.Count >= _max) return;
                _series[key] = series = new Series();
            }
        }
        series.Add(seconds, status != 0);
    }

    public sealed record Row(string Side, string Service, string Method, double Rate, double ErrorRate, double P50Ms, double P90Ms, double P99Ms, long Calls);

    public List<Row> Read(TimeSpan window)
    {
        KeyValuePair<(string Side, string Service, string Method), Series>[] all;
        lock (_gate) all = _series.ToArray();
        var rows = new List<Row>(all.Length);
        foreach (var (key, series) in all.OrderBy(a => a.Key.Service, StringComparer.Ordinal).ThenBy(a => a.Key.Method, StringComparer.Ordinal).ThenBy(a => a.Key.Side, StringComparer.Ordinal))
        {
            rows.Add(series.Read(key.Side, key.Service, key.Method, window));
        }
        return rows;
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series
    {
        private readonly Lock _gate = new();
        private readonly long[] _second = new long[Buckets];
        private readonly int[] _count = new int[Buckets];
        private readonly int[] _errors = new int[Buckets];
        private readonly double[][] _samples = new double[Buckets][];
        private long _total;

        public void Add(double seconds, bool error)
        {
            long now = Stopwatch.GetTimestamp() / Stopwatch.Frequency;
            int i = (int)(now % Buckets);
            lock (_gate)
            {
                if (_second[i] != now)
                {
                    _second[i] = now;
                    _count[i] = 0;
                    _errors[i] = 0;
                }
                var samples = _samples[i] ??= new double[SamplesPerSecond];
                if (_count[i] < SamplesPerSecond) samples[_count[i]] = seconds;
                else samples[Random.Shared.Next(SamplesPerSecond)] = seconds; // keep a fair sample of a busy second
                _count[i]++;
                if (error) _errors[i]++;
                _total++;
            }
        }

        public Row Read(string side, string service, string method, TimeSpan window)
        {
            long now = Stopwatch.GetTimestamp() / Stopwatch.Frequency;
            int seconds = (int)Math.Ceiling(window.TotalSeconds);
            long calls = 0, errors = 0;
            var latencies = new List<double>();
            lock (_gate)
            {
                for (int b = 0; b < Buckets; b++)
                {
                    if (now - _second[b] >= seconds || _second[b] > now) continue;
                    calls += _count[b];
                    errors += _errors[b];
                    latencies.AddRange(_samples[b].AsSpan(0, Math.Min(_count[b], SamplesPerSecond)));
                }
                latencies.Sort();
                return new Row(side, service, method, calls / (double)seconds, calls == 0 ? 0 : errors / (double)calls,
                    Percentile(latencies, 0.5), Percentile(latencies, 0.9), Percentile(latencies, 0.99), _total);
            }
        }

        private static double Percentile(List<double> sorted, double p) =>
            sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)] * 1000;
    }
}
