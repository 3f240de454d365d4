using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>
/// Call instruments of TARS servers: the instruments Meshwork's native RPC server records (Meshwork.Diagnostics'
/// <c>ServerTelemetryMiddleware</c> and message-size recorder) with the same meter name, instrument names, units,
/// descriptions, bucket bounds and tags, so dashboards and exporters read TARS calls next to native ones, told apart by
/// <c>rpc.system</c> = <c>tars</c>. Every recording is guarded by the instrument's <see cref="Instrument.Enabled"/>: with
/// no listener a call pays one flag check.
/// </summary>
internal static class TarsServerMetrics
{
    public static readonly Meter Meter = new(TarsTelemetry.MeterName, typeof(TarsServerMetrics).Assembly.GetName().Version?.ToString());

    // Same bounds as the native instruments: seconds from 100 µs to 10 s; bytes from 0 to 64 MiB, 4× apart.
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly long[] SizeBuckets = [0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static readonly Histogram<double> Duration = Meter.CreateHistogram(TarsTelemetry.ServerDurationInstrument, "s",
        "Duration of server calls, from the handler's start to its end (the whole stream for streaming calls).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> Calls = Meter.CreateCounter<long>(TarsTelemetry.ServerCallsInstrument, "{call}", "Server calls finished, by status.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(TarsTelemetry.ServerErrorsInstrument, "{call}",
        "Server calls that ended with a status other than OK, by status.");

    public static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>(TarsTelemetry.ServerActiveCallsInstrument, "{call}",
        "Server calls in flight (handlers running).");

    public static readonly Histogram<long> RequestSize = SizeHistogram(TarsTelemetry.ServerRequestSizeInstrument, "Body size of each request message a server received.");

    public static readonly Histogram<long> ResponseSize = SizeHistogram(TarsTelemetry.ServerResponseSizeInstrument, "Body size of each response message a server sent.");

    private static Histogram<long> SizeHistogram(string name, string description) =>
        Meter.CreateHistogram(name, "By", description + " Bytes as framed: a compressed body counts its compressed size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });

    /// <summary>True when any call instrument has a listener (read once per call).</summary>
    public static bool Observed => Calls.Enabled || Duration.Enabled || Errors.Enabled || Active.Enabled || RequestSize.Enabled || ResponseSize.Enabled;

    private static readonly string[] StatusNames = [.. Enumerable.Range(0, 17).Select(i => ((StatusCode)i).ToString())];

    private static string StatusName(StatusCode status) =>
        (uint)status < (uint)StatusNames.Length ? StatusNames[(int)status] : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The tags of every measurement: <c>rpc.system</c> = <c>tars</c>, <c>rpc.service</c> (object), <c>rpc.method</c> (function).</summary>
    public static TagList CallTags(string objectName, string function) => new()
    {
        { "rpc.system", TarsTelemetry.RpcSystem },
        { "rpc.service", objectName },
        { "rpc.method", function },
    };

    /// <summary>A call starts (in-flight +1).</summary>
    public static void Start(string objectName, string function)
    {
        if (Active.Enabled) Active.Add(1, CallTags(objectName, function));
    }

    /// <summary>
    /// A call ends: in-flight −1 (when <paramref name="countedActive"/>), its duration, one call and, on failure, one error,
    /// tagged with the Meshwork status the TARS code maps to, the code itself (<c>rpc.tars.ret</c>) and the status name (<c>error.type</c>).
    /// </summary>
    public static void End(string objectName, string function, int returnCode, long startTimestamp, bool countedActive)
    {
        var tags = CallTags(objectName, function);
        if (countedActive) Active.Add(-1, tags);
        var status = TarsStatusMapping.ToStatus(returnCode);
        tags.Add("rpc.meshwork.status_code", (int)status);
        tags.Add(TarsTelemetry.ReturnCodeAttribute, returnCode);
        if (startTimestamp != 0 && Duration.Enabled) Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        Calls.Add(1, tags);
        if (status != StatusCode.OK)
        {
            tags.Add("error.type", StatusName(status));
            Errors.Add(1, tags);
        }
    }

    /// <summary>Records a request's or a reply's size (the whole frame, length prefix included).</summary>
    public static void Size(Histogram<long> histogram, string objectName, string function, int bytes)
    {
        if (histogram.Enabled) histogram.Record(bytes, CallTags(objectName, function));
    }
}
