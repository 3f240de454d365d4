using System.Diagnostics;
using Meshwork.Rpc;

namespace Meshwork.Diagnostics;

/// <summary>
/// W3C Trace Context (<c>traceparent</c>, <c>tracestate</c>) carried in call metadata, so one trace spans every hop:
/// the client writes the headers of its span, the server starts its span as that span's child.
/// </summary>
public static class TraceContext
{
    /// <summary>Metadata key of the W3C <c>traceparent</c> header.</summary>
    public const string TraceParentKey = "traceparent";

    /// <summary>Metadata key of the W3C <c>tracestate</c> header.</summary>
    public const string TraceStateKey = "tracestate";

    /// <summary>Longest <c>tracestate</c> accepted from a caller (the W3C limit is 32 members of at most 256 characters each); longer values are dropped.</summary>
    public const int MaxTraceStateLength = 8192;

    /// <summary>Sets <c>traceparent</c> (and <c>tracestate</c> if any) of <paramref name="activity"/> in <paramref name="headers"/>, replacing earlier values.</summary>
    public static void Inject(Activity activity, Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(headers);
        if (activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id) return;
        headers.Set(TraceParentKey, id);
        if (activity.TraceStateString is { Length: > 0 } state) headers.Set(TraceStateKey, state);
        else headers.Remove(TraceStateKey);
    }

    /// <summary>
    /// Reads the caller's span context from <paramref name="headers"/>. False when there is none or it is malformed
    /// (a malformed header starts a new trace rather than failing the call: tracing must never break a call).
    /// </summary>
    public static bool TryExtract(Metadata? headers, out ActivityContext context)
    {
        context = default;
        if (headers?.Get(TraceParentKey) is not { } parent) return false;
        var state = headers.Get(TraceStateKey);
        if (state is { Length: > MaxTraceStateLength }) state = null;
        return ActivityContext.TryParse(parent, state, isRemote: true, out context);
    }
}
