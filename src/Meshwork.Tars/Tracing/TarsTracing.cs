using System.Diagnostics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>
/// Spans of TARS calls (OpenTelemetry RPC conventions, <c>rpc.system</c> = <c>tars</c>) and W3C / B3 trace context in the
/// request maps. While nobody listens and no span is current, callers check one flag and one async-local and do nothing else.
/// </summary>
internal static class TarsTracing
{
    public static readonly ActivitySource Source = new(TarsTelemetry.ActivitySourceName);

    /// <summary>True when a client call must start a span or propagate the current one.</summary>
    public static bool ClientActive => Source.HasListeners() || Activity.Current is not null;

    // ---- client -----------------------------------------------------------------------------------------------------

    /// <summary>Starts the client span of one TARS call (child of <see cref="Activity.Current"/>); null when nobody listens.</summary>
    public static Activity? StartClient(string objectName, string function, short version, bool oneWay)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity(objectName + "/" + function, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", TarsTelemetry.RpcSystem);
            activity.SetTag("rpc.service", objectName);
            activity.SetTag("rpc.method", function);
            activity.SetTag(TarsTelemetry.VersionAttribute, (int)version);
            if (oneWay) activity.SetTag("rpc.meshwork.call_kind", "one_way");
        }
        return activity;
    }

    /// <summary>
    /// A copy of <paramref name="invocation"/> whose <c>status</c> and <c>context</c> maps carry the trace context of
    /// <paramref name="span"/> (replacing any earlier values, e.g. the headers of an outer logical span).
    /// </summary>
    public static TarsInvocation Propagate(TarsInvocation invocation, Activity span)
    {
        if (span.IdFormat != ActivityIdFormat.W3C || span.Id is not { } parent) return invocation;
        string? state = span.TraceStateString is { Length: > 0 } s ? s : null;
        return new TarsInvocation(invocation.Arguments)
        {
            Context = WithTraceContext(invocation.Context, parent, state),
            Status = WithTraceContext(invocation.Status, parent, state),
            MessageType = invocation.MessageType,
        };
    }

    private static Dictionary<string, string> WithTraceContext(IReadOnlyDictionary<string, string>? map, string parent, string? state)
    {
        var copy = new Dictionary<string, string>((map?.Count ?? 0) + 2, StringComparer.Ordinal);
        if (map is not null)
        {
            foreach (var (k, v) in map) copy[k] = v;
        }
        copy[TarsTelemetry.TraceParentKey] = parent;
        if (state is not null) copy[TarsTelemetry.TraceStateKey] = state;
        else copy.Remove(TarsTelemetry.TraceStateKey);
        return copy;
    }

    // ---- server -----------------------------------------------------------------------------------------------------

    /// <summary>Starts the server span of a request, child of the caller's span when the request carries one; null when nobody listens.</summary>
    public static Activity? StartServer(string objectName, string function, short version, string peer,
        IReadOnlyDictionary<string, string> status, IReadOnlyDictionary<string, string> context)
    {
        if (!Source.HasListeners()) return null;
        Activity.Current = null; // the parent is the caller's span, never whatever ran before on this thread
        TryExtract(status, context, out var parent);
        var activity = Source.StartActivity(ActivityKind.Server, parent, name: objectName + "/" + function);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", TarsTelemetry.RpcSystem);
            activity.SetTag("rpc.service", objectName);
            activity.SetTag("rpc.method", function);
            activity.SetTag(TarsTelemetry.VersionAttribute, (int)version);
            activity.SetTag("network.peer.address", peer);
        }
        return activity;
    }

    /// <summary>Ends a span with the call's TARS return code (non-zero: status Error, <c>error.type</c> the mapped status name).</summary>
    public static void Finish(Activity? activity, int returnCode, string? description)
    {
        if (activity is null) return;
        activity.SetTag(TarsTelemetry.ReturnCodeAttribute, returnCode);
        if (returnCode != TarsReturnCode.Success)
        {
            activity.SetTag("error.type", TarsStatusMapping.ToStatus(returnCode).ToString());
            activity.SetStatus(ActivityStatusCode.Error, description);
        }
        activity.Dispose();
    }

    /// <summary>Ends a client span with the outcome of the call.</summary>
    public static void Finish(Activity? activity, Exception? error)
    {
        if (activity is null) return;
        if (error is null)
        {
            Finish(activity, TarsReturnCode.Success, null);
            return;
        }
        int code = error is RpcException rpc ? rpc.GetTarsReturnCode() : TarsReturnCode.ServerUnknownError;
        if (error is RpcException { Status: StatusCode.Cancelled } or OperationCanceledException)
        {
            activity.SetTag("error.type", nameof(StatusCode.Cancelled));
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
            activity.Dispose();
            return;
        }
        Finish(activity, code, error.Message);
    }

    /// <summary>
    /// Reads the caller's span context: W3C <c>traceparent</c>/<c>tracestate</c> from <c>status</c> (TarsGo), then from
    /// <c>context</c> (Meshwork headers), then B3 from <c>status</c> or <c>context</c> (TarsJava). Malformed values are
    /// ignored: the call gets a new trace, never an error.
    /// </summary>
    public static bool TryExtract(IReadOnlyDictionary<string, string> status, IReadOnlyDictionary<string, string> context, out ActivityContext parent)
    {
        if (TryW3C(status, out parent) || TryW3C(context, out parent)) return true;
        return TryB3(status, out parent) || TryB3(context, out parent);
    }

    private static bool TryW3C(IReadOnlyDictionary<string, string> map, out ActivityContext parent)
    {
        parent = default;
        if (map.Count == 0 || !map.TryGetValue(TarsTelemetry.TraceParentKey, out var traceParent)) return false;
        map.TryGetValue(TarsTelemetry.TraceStateKey, out var state);
        if (state is { Length: > TarsTelemetry.MaxTraceStateLength }) state = null;
        return ActivityContext.TryParse(traceParent, state, isRemote: true, out parent);
    }

    private static bool TryB3(IReadOnlyDictionary<string, string> map, out ActivityContext parent)
    {
        parent = default;
        if (map.Count == 0) return false;
        if (!TryGet(map, TarsTelemetry.B3TraceIdKey, out var traceId) || !TryGet(map, TarsTelemetry.B3SpanIdKey, out var spanId)) return false;
        // 64-bit B3 trace ids are widened to 128 bits with leading zeros, as OpenTelemetry's B3 propagators do.
        if (traceId.Length == 16) traceId = "0000000000000000" + traceId;
        if (traceId.Length != 32 || spanId.Length != 16 || !IsLowerOrUpperHex(traceId) || !IsLowerOrUpperHex(spanId)) return false;
        if (IsAllZero(traceId) || IsAllZero(spanId)) return false;
        bool sampled = (TryGet(map, TarsTelemetry.B3SampledKey, out var s) && (s == "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase)))
            || (TryGet(map, TarsTelemetry.B3FlagsKey, out var f) && f == "1");
        parent = new ActivityContext(ActivityTraceId.CreateFromString(traceId.ToLowerInvariant()), ActivitySpanId.CreateFromString(spanId.ToLowerInvariant()),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
        return true;
    }

    /// <summary>B3 keys are case-insensitive (HTTP headers); TARS maps are not, so try the canonical and the lower-case spelling.</summary>
    private static bool TryGet(IReadOnlyDictionary<string, string> map, string key, out string value) =>
        map.TryGetValue(key, out value!) || map.TryGetValue(key.ToLowerInvariant(), out value!);

    private static bool IsLowerOrUpperHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return true;
    }

    private static bool IsAllZero(string text)
    {
        foreach (char c in text)
        {
            if (c != '0') return false;
        }
        return true;
    }
}
