using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>
/// Call instruments of TARS clients (<see cref="TarsChannel"/>): the instruments Meshwork's native RPC client records
/// (Meshwork.Diagnostics' <c>InstrumentedCallInvoker</c> and message-size recorder) with the same meter name, instrument
/// names, units, descriptions, bucket bounds and tags, told apart by <c>rpc.system</c> = <c>tars</c>. Failed calls carry
/// the Meshwork status their TARS code maps to, as the TARS server's measurements do. Every recording is guarded by the
/// instrument's <see cref="Instrument.Enabled"/>: with no listener a call pays four flag checks and allocates nothing.
/// </summary>
internal static class TarsClientMetrics
{
    public static readonly Histogram<double> Duration = TarsMeter.DurationHistogram(TarsTelemetry.ClientDurationInstrument,
        "Duration of client calls, from start to the last response message or the error.");

    public static readonly Counter<long> Calls = TarsMeter.Meter.CreateCounter<long>(TarsTelemetry.ClientCallsInstrument, "{call}", "Client calls finished, by status.");

    public static readonly Counter<long> Errors = TarsMeter.Meter.CreateCounter<long>(TarsTelemetry.ClientErrorsInstrument, "{call}",
        "Client calls that ended with a status other than OK, by status.");

    public static readonly UpDownCounter<long> Active = TarsMeter.Meter.CreateUpDownCounter<long>(TarsTelemetry.ClientActiveCallsInstrument, "{call}", "Client calls in flight.");

    public static readonly Histogram<long> RequestSize = TarsMeter.SizeHistogram(TarsTelemetry.ClientRequestSizeInstrument, "Body size of each request message a client sent.");

    public static readonly Histogram<long> ResponseSize = TarsMeter.SizeHistogram(TarsTelemetry.ClientResponseSizeInstrument, "Body size of each response message a client received.");

    /// <summary>True when a call must be measured as a whole (the sizes are checked where they are known).</summary>
    public static bool CallsObserved => Calls.Enabled || Duration.Enabled || Errors.Enabled || Active.Enabled;

    /// <summary>A call starts: in flight +1 when that instrument is observed; returns whether it was counted.</summary>
    public static bool Start(string objectName, string function)
    {
        if (!Active.Enabled) return false;
        Active.Add(1, TarsMeter.CallTags(objectName, function));
        return true;
    }

    /// <summary>
    /// A call ends (<paramref name="error"/> null: success): in flight −1 (when <paramref name="countedActive"/>), its
    /// duration (when <paramref name="startTimestamp"/> is not 0), one call and, on failure, one error. Tags: the Meshwork
    /// status (<c>rpc.meshwork.status_code</c>), the TARS code (<c>rpc.tars.ret</c>: 0, the peer's <c>iRet</c> or the
    /// client's own code such as -7 for a timeout, as <see cref="TarsStatusMapping.GetTarsReturnCode"/> reads it; absent
    /// for a cancelled call, which has none) and, on failure, the status name (<c>error.type</c>).
    /// </summary>
    public static void End(string objectName, string function, Exception? error, long startTimestamp, bool countedActive)
    {
        var tags = TarsMeter.CallTags(objectName, function);
        if (countedActive) Active.Add(-1, tags);
        var (status, returnCode) = Outcome(error);
        tags.Add("rpc.meshwork.status_code", (int)status);
        if (returnCode is { } code) tags.Add(TarsTelemetry.ReturnCodeAttribute, code);
        if (startTimestamp != 0 && Duration.Enabled) Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        Calls.Add(1, tags);
        if (status != StatusCode.OK)
        {
            tags.Add("error.type", TarsMeter.StatusName(status));
            Errors.Add(1, tags);
        }
    }

    /// <summary>The status and TARS code of a call's outcome, as its span reports them.</summary>
    private static (StatusCode Status, int? ReturnCode) Outcome(Exception? error) => error switch
    {
        null => (StatusCode.OK, TarsReturnCode.Success),
        RpcException { Status: StatusCode.Cancelled } or OperationCanceledException => (StatusCode.Cancelled, null),
        RpcException rpc => (rpc.Status, rpc.GetTarsReturnCode()),
        _ => (StatusCode.Unknown, TarsReturnCode.ServerUnknownError),
    };

    /// <summary>Records a request's or a reply's size (the whole frame, length prefix included) when that histogram is observed.</summary>
    public static void Size(Histogram<long> histogram, string objectName, string function, int bytes)
    {
        if (histogram.Enabled) histogram.Record(bytes, TarsMeter.CallTags(objectName, function));
    }
}
