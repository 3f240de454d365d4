namespace Meshwork.Tars;

/// <summary>
/// Names of the spans TARS calls produce, and the request map keys that carry trace context across a TARS hop.
/// Spans come from the <c>Meshwork.Rpc</c> activity source, the one every Meshwork call span comes from, so one
/// subscription (an <c>ActivityListener</c>, or OpenTelemetry's <c>AddSource("Meshwork.Rpc")</c>) sees both.
/// </summary>
public static class TarsTelemetry
{
    /// <summary>Activity source of TARS client and server spans (shared with Meshwork's native RPC spans).</summary>
    public const string ActivitySourceName = "Meshwork.Rpc";

    /// <summary>
    /// Meter of TARS server and client call metrics: the meter name of Meshwork's native call metrics, so one subscription (a
    /// <c>MeterListener</c>, or OpenTelemetry's <c>AddMeter("Meshwork.Rpc")</c>) sees both; TARS measurements carry
    /// <c>rpc.system</c> = <see cref="RpcSystem"/>.
    /// </summary>
    public const string MeterName = "Meshwork.Rpc";

    /// <summary>Histogram (s): server call duration, from the start of the call's processing until the handler (and middleware) ended.</summary>
    public const string ServerDurationInstrument = "rpc.server.call.duration";

    /// <summary>Counter: server calls finished, by status (<c>rpc.meshwork.status_code</c>, <c>rpc.tars.ret</c>).</summary>
    public const string ServerCallsInstrument = "meshwork.rpc.server.calls";

    /// <summary>Counter: server calls that ended with a non-zero TARS code, by status and <c>error.type</c>.</summary>
    public const string ServerErrorsInstrument = "meshwork.rpc.server.errors";

    /// <summary>Up-down counter: server calls in flight.</summary>
    public const string ServerActiveCallsInstrument = "meshwork.rpc.server.active_calls";

    /// <summary>Histogram (By): size of each request frame a server received, length prefix included.</summary>
    public const string ServerRequestSizeInstrument = "rpc.server.request.size";

    /// <summary>Histogram (By): size of each reply frame a server sent, length prefix included.</summary>
    public const string ServerResponseSizeInstrument = "rpc.server.response.size";

    /// <summary>Histogram (s): client call duration (per TARS call: per attempt under governance), from the call's start until its reply is decoded, its failure, or for one-way calls its request written.</summary>
    public const string ClientDurationInstrument = "rpc.client.call.duration";

    /// <summary>Counter: client calls finished, by status (<c>rpc.meshwork.status_code</c>, <c>rpc.tars.ret</c>).</summary>
    public const string ClientCallsInstrument = "meshwork.rpc.client.calls";

    /// <summary>Counter: client calls that failed (a non-zero TARS code, a timeout, a lost connection, a cancellation), by status and <c>error.type</c>.</summary>
    public const string ClientErrorsInstrument = "meshwork.rpc.client.errors";

    /// <summary>Up-down counter: client calls in flight.</summary>
    public const string ClientActiveCallsInstrument = "meshwork.rpc.client.active_calls";

    /// <summary>Histogram (By): size of each request frame a client sent, length prefix included.</summary>
    public const string ClientRequestSizeInstrument = "rpc.client.request.size";

    /// <summary>Histogram (By): size of each reply frame a client received, length prefix included.</summary>
    public const string ClientResponseSizeInstrument = "rpc.client.response.size";

    /// <summary>
    /// Value of <c>rpc.service</c> and <c>rpc.method</c> on the metrics of a call to an object or function the server does
    /// not serve, so that names sent by clients cannot create new metric series.
    /// </summary>
    public const string UnknownName = "_OTHER";

    /// <summary>The <c>rpc.system</c> attribute of TARS spans and metrics.</summary>
    public const string RpcSystem = "tars";

    /// <summary>Span attribute holding the TARS return code (<c>iRet</c>) of the call; 0 is success.</summary>
    public const string ReturnCodeAttribute = "rpc.tars.ret";

    /// <summary>Span attribute holding the TARS protocol version of the call (1, 2 or 3).</summary>
    public const string VersionAttribute = "rpc.tars.version";

    /// <summary>
    /// W3C <c>traceparent</c>. Meshwork clients write it into both the request <c>status</c> map (where TarsGo's
    /// OpenTelemetry filter reads and writes it) and the <c>context</c> map (where Meshwork call headers travel);
    /// the server reads <c>status</c> first, then <c>context</c>.
    /// </summary>
    public const string TraceParentKey = "traceparent";

    /// <summary>W3C <c>tracestate</c>, next to <see cref="TraceParentKey"/>.</summary>
    public const string TraceStateKey = "tracestate";

    /// <summary>Zipkin B3 trace id, which TarsJava's Brave tracing writes into the <c>status</c> map; the server accepts it when no <c>traceparent</c> is present.</summary>
    public const string B3TraceIdKey = "X-B3-TraceId";

    /// <summary>Zipkin B3 span id (of the caller's span), next to <see cref="B3TraceIdKey"/>.</summary>
    public const string B3SpanIdKey = "X-B3-SpanId";

    /// <summary>Zipkin B3 sampling decision (<c>1</c>/<c>true</c> = sampled), next to <see cref="B3TraceIdKey"/>.</summary>
    public const string B3SampledKey = "X-B3-Sampled";

    /// <summary>Zipkin B3 debug flag (<c>1</c> = sampled), next to <see cref="B3TraceIdKey"/>.</summary>
    public const string B3FlagsKey = "X-B3-Flags";

    /// <summary>Longest <c>tracestate</c> accepted (the W3C limit is 32 members of at most 256 characters); a longer one is dropped.</summary>
    public const int MaxTraceStateLength = 8192;
}
