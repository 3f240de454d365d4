using System.Diagnostics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

public sealed partial class TarsChannel
{
    /// <summary>
    /// True when a call must take <see cref="ObservedCallAsync"/>: a span listener or a current span (tracing), or a
    /// listener on a client call instrument (metrics). Otherwise a call reads these flags and nothing else.
    /// </summary>
    private static bool CallObserved => TarsTracing.ClientActive || TarsClientMetrics.CallsObserved;

    /// <summary>
    /// A call while someone listens or a span is current: one client span per TARS call (per attempt under governance)
    /// and its trace context in the request's <c>status</c> and <c>context</c> maps (without a listener the current span,
    /// e.g. an outer logical span, is propagated as it is); and the client call instruments (<see cref="TarsClientMetrics"/>:
    /// in flight, duration, calls, errors), each only while it is observed.
    /// </summary>
    private async ValueTask<TarsReply?> ObservedCallAsync(string objectName, string function, TarsInvocation invocation, CallOptions options, bool oneWay)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var span = TarsTracing.StartClient(objectName, function, _options.Version, oneWay);
        if ((span ?? Activity.Current) is { } propagate) invocation = TarsTracing.Propagate(invocation, propagate);
        bool metrics = TarsClientMetrics.CallsObserved;
        bool countedActive = metrics && TarsClientMetrics.Start(objectName, function);
        long started = metrics && TarsClientMetrics.Duration.Enabled ? Stopwatch.GetTimestamp() : 0;
        try
        {
            var reply = await CallCoreAsync(objectName, function, invocation, options, oneWay).ConfigureAwait(false);
            if (metrics) TarsClientMetrics.End(objectName, function, error: null, started, countedActive);
            TarsTracing.Finish(span, error: null);
            return reply;
        }
        catch (Exception e)
        {
            if (metrics) TarsClientMetrics.End(objectName, function, e, started, countedActive);
            TarsTracing.Finish(span, e);
            throw;
        }
    }
}
