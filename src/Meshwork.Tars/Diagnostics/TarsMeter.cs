using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>
/// The <c>Meshwork.Rpc</c> meter of this assembly and what its client and server instruments share with Meshwork's
/// native ones (Meshwork.Diagnostics' <c>RpcInstruments</c>): bucket bounds, the three call tags and status names.
/// </summary>
internal static class TarsMeter
{
    public static readonly Meter Meter = new(TarsTelemetry.MeterName, typeof(TarsMeter).Assembly.GetName().Version?.ToString());

    // Same bounds as the native instruments: seconds from 100 µs to 10 s; bytes from 0 to 64 MiB, 4× apart.
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly long[] SizeBuckets = [0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static Histogram<double> DurationHistogram(string name, string description) =>
        Meter.CreateHistogram(name, "s", description, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static Histogram<long> SizeHistogram(string name, string description) =>
        Meter.CreateHistogram(name, "By", description + " Bytes as framed: a compressed body counts its compressed size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });

    private static readonly string[] StatusNames = [.. Enumerable.Range(0, 17).Select(i => ((StatusCode)i).ToString())];

    /// <summary>The status's name without allocating (out-of-range values are named by number).</summary>
    public static string StatusName(StatusCode status) =>
        (uint)status < (uint)StatusNames.Length ? StatusNames[(int)status] : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The tags of every measurement: <c>rpc.system</c> = <c>tars</c>, <c>rpc.service</c> (object), <c>rpc.method</c> (function).</summary>
    public static TagList CallTags(string objectName, string function) => new()
    {
        { "rpc.system", TarsTelemetry.RpcSystem },
        { "rpc.service", objectName },
        { "rpc.method", function },
    };
}
