using System.Diagnostics;
using Meshwork.Rpc;

namespace Meshwork.Tars;

public sealed partial class TarsChannel
{
    /// <summary>
    /// A call while someone listens or a span is current: one client span per TARS call (per attempt under governance),
    /// and its trace context in the request's <c>status</c> and <c>context</c> maps. Without a listener the current span
    /// (e.g. an outer logical span) is propagated as it is.
    /// </summary>
    private async ValueTask<TarsReply?> TracedCallAsync(string objectName, string function, TarsInvocation invocation, CallOptions options, bool oneWay)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var span = TarsTracing.StartClient(objectName, function, _options.Version, oneWay);
        if ((span ?? Activity.Current) is { } propagate) invocation = TarsTracing.Propagate(invocation, propagate);
        try
        {
            var reply = await CallCoreAsync(objectName, function, invocation, options, oneWay).ConfigureAwait(false);
            TarsTracing.Finish(span, error: null);
            return reply;
        }
        catch (Exception e)
        {
            TarsTracing.Finish(span, e);
            throw;
        }
    }
}
