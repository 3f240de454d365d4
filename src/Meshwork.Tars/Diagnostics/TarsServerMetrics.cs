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
    private static Meter Meter => TarsMeter.Meter;

    public static readonly Histogram<double> Duration = TarsMeter.DurationHistogram(TarsTelemetry.ServerDurationInstrument,
        "Duration of server calls, from the handler's start to its end (the whole stream for streaming calls).");

    public static readonly Counter<long> Calls = Meter.CreateCounter<long>(TarsTelemetry.ServerCallsInstrument, "{call}", "Server calls finished, by status.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(TarsTelemetry.ServerErrorsInstrument, "{call}",
        "Server calls that ended with a status other than OK, by status.");

    public static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>(TarsTelemetry.ServerActiveCallsInstrument, "{call}",
        "Server calls in flight (handlers running).");

    public static readonly Histogram<long> RequestSize = TarsMeter.SizeHistogram(TarsTelemetry.ServerRequestSizeInstrument, "Body size of each request message a server received.");

    public static readonly Histogram<long> ResponseSize = TarsMeter.SizeHistogram(TarsTelemetry.ServerResponseSizeInstrument, "Body size of each response message a server sent.");

    /// <summary>True when any call instrument has a listener (read once per call).</summary>
    public static bool Observed => Calls.Enabled || Duration.Enabled || Errors.Enabled || Active.Enabled || RequestSize.Enabled || ResponseSize.Enabled;

    /// <summary>The tags of every measurement: <c>rpc.system</c> = <c>tars</c>, <c>rpc.service</c> (object), <c>rpc.method</c> (function).</summary>
    public static TagList CallTags(string objectName, string function) => TarsMeter.CallTags(objectName, function);

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
            tags.Add("error.type", TarsMeter.StatusName(status));
            Errors.Add(1, tags);
        }
    }

    /// <summary>Records a request's or a reply's size (the whole frame, length prefix included).</summary>
    public static void Size(Histogram<long> histogram, string objectName, string function, int bytes)
    {
        if (histogram.Enabled) histogram.Record(bytes, CallTags(objectName, function));
    }
}
