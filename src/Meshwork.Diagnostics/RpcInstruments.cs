using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Diagnostics;

/// <summary>
/// The shared <see cref="ActivitySource"/> and call instruments of the <see cref="MeshworkTelemetry.RpcMeterName"/> meter.
/// Static, like the runtime's own instruments: listeners subscribe by name, and every instrument is free while unobserved.
/// </summary>
internal static class RpcInstruments
{
    public static readonly ActivitySource Source = new(MeshworkTelemetry.ActivitySourceName, typeof(RpcInstruments).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(MeshworkTelemetry.RpcMeterName, typeof(RpcInstruments).Assembly.GetName().Version?.ToString());

    // Bucket bounds in seconds: from 100 µs (a loopback call) to 10 s (a long deadline), about 2.5× apart.
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly Histogram<double> ClientDuration = Meter.CreateHistogram("rpc.client.call.duration", "s",
        "Duration of client calls, from start to the last response message or the error.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<double> ServerDuration = Meter.CreateHistogram("rpc.server.call.duration", "s",
        "Duration of server calls, from the handler's start to its end (the whole stream for streaming calls).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> ClientCalls = Meter.CreateCounter<long>("meshwork.rpc.client.calls", "{call}", "Client calls finished, by status.");

    public static readonly Counter<long> ServerCalls = Meter.CreateCounter<long>("meshwork.rpc.server.calls", "{call}", "Server calls finished, by status.");

    public static readonly Counter<long> ClientErrors = Meter.CreateCounter<long>("meshwork.rpc.client.errors", "{call}", "Client calls that ended with a status other than OK, by status.");

    public static readonly Counter<long> ServerErrors = Meter.CreateCounter<long>("meshwork.rpc.server.errors", "{call}", "Server calls that ended with a status other than OK, by status.");

    public static readonly UpDownCounter<long> ClientActive = Meter.CreateUpDownCounter<long>("meshwork.rpc.client.active_calls", "{call}", "Client calls in flight.");

    public static readonly UpDownCounter<long> ServerActive = Meter.CreateUpDownCounter<long>("meshwork.rpc.server.active_calls", "{call}", "Server calls in flight (handlers running).");

    public static readonly Counter<long> ClientStreamMessages = Meter.CreateCounter<long>("meshwork.rpc.client.stream.messages_received", "{message}",
        "Response messages received by client calls of the server-streaming and duplex kinds.");

    // Bucket bounds in bytes: from an empty message to the 64 MiB default message limit, 4× apart.
    private static readonly long[] SizeBuckets = [0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static readonly Histogram<long> ClientRequestSize = SizeHistogram("rpc.client.request.size", "Body size of each request message a client sent.");

    public static readonly Histogram<long> ClientResponseSize = SizeHistogram("rpc.client.response.size", "Body size of each response message a client received.");

    public static readonly Histogram<long> ServerRequestSize = SizeHistogram("rpc.server.request.size", "Body size of each request message a server received.");

    public static readonly Histogram<long> ServerResponseSize = SizeHistogram("rpc.server.response.size", "Body size of each response message a server sent.");

    private static Histogram<long> SizeHistogram(string name, string description) =>
        Meter.CreateHistogram(name, "By", description + " Bytes as framed: a compressed body counts its compressed size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });

    // The RPC core reports sizes through a process-wide hook; it starts reporting once this layer is in use.
    private static readonly bool SizesInstalled = MessageSizeRecorder.Install();

    /// <summary>True when a span would be recorded or any client instrument is observed.</summary>
    public static bool ClientObserved => Source.HasListeners() || ClientDuration.Enabled || ClientCalls.Enabled || ClientErrors.Enabled || ClientActive.Enabled;

    /// <summary>True when any server instrument is observed.</summary>
    public static bool ServerMetricsObserved => ServerDuration.Enabled || ServerCalls.Enabled || ServerErrors.Enabled || ServerActive.Enabled;

    private static readonly string[] StatusNames = BuildStatusNames();

    private static string[] BuildStatusNames()
    {
        var names = new string[17];
        for (int i = 0; i < names.Length; i++) names[i] = ((StatusCode)i).ToString();
        return names;
    }

    /// <summary>The status's name without allocating (out-of-range values, which a peer may send, are named by number).</summary>
    public static string StatusName(StatusCode status) => (uint)status < (uint)StatusNames.Length ? StatusNames[(int)status] : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly string[] KindNames = ["unary", "one_way", "server_streaming", "client_streaming", "duplex_streaming"];

    public static string KindName(CallKind kind) => kind switch
    {
        CallKind.Unary => KindNames[0],
        CallKind.OneWay => KindNames[1],
        CallKind.ServerStreaming => KindNames[2],
        CallKind.ClientStreaming => KindNames[3],
        CallKind.DuplexStreaming => KindNames[4],
        _ => kind.ToString(),
    };

    public static TagList CallTags(string service, string method)
    {
        var tags = new TagList
        {
            { RpcAttributes.System, MeshworkTelemetry.RpcSystem },
            { RpcAttributes.Service, service },
            { RpcAttributes.Method, method },
        };
        return tags;
    }

    /// <summary>Records the end of a call on the instruments of one side.</summary>
    public static void RecordEnd(bool client, string service, string method, StatusCode status, long startTimestamp, bool countedActive)
    {
        var tags = CallTags(service, method);
        if (countedActive) (client ? ClientActive : ServerActive).Add(-1, tags);
        tags.Add(RpcAttributes.StatusCode, (int)status);
        var duration = client ? ClientDuration : ServerDuration;
        if (duration.Enabled) duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        (client ? ClientCalls : ServerCalls).Add(1, tags);
        if (status != StatusCode.OK)
        {
            tags.Add(RpcAttributes.ErrorType, StatusName(status));
            (client ? ClientErrors : ServerErrors).Add(1, tags);
        }
    }

    /// <summary>Marks <paramref name="activity"/> with the call's outcome.</summary>
    public static void Finish(Activity? activity, StatusCode status, string? message)
    {
        if (activity is null) return;
        activity.SetTag(RpcAttributes.StatusCode, (int)status);
        if (status != StatusCode.OK)
        {
            activity.SetTag(RpcAttributes.ErrorType, StatusName(status));
            activity.SetStatus(ActivityStatusCode.Error, message);
        }
        activity.Dispose();
    }

    /// <summary>The status a failed call ends with, as the caller sees it.</summary>
    public static StatusCode StatusOf(Exception error) => error switch
    {
        RpcException rpc => rpc.Status,
        OperationCanceledException => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };
}
