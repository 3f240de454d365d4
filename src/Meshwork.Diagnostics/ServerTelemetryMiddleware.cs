using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;

namespace Meshwork.Diagnostics;

/// <summary>
/// Server middleware that records a server span per call, child of the caller's span when the request carries W3C
/// trace context (<see cref="TraceContext"/>), and the server call instruments. Handlers run with the span as
/// <see cref="Activity.Current"/>, so their own outgoing calls through an <see cref="InstrumentedCallInvoker"/> join the
/// same trace. Register it first (<c>server.Use(new ServerTelemetryMiddleware())</c>) so its span covers the other
/// middleware. While nobody listens it only checks two flags and calls next.
/// </summary>
public sealed class ServerTelemetryMiddleware : IServerMiddleware
{
    /// <inheritdoc/>
    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        bool trace = RpcInstruments.Source.HasListeners();
        if (!trace && !RpcInstruments.ServerMetricsObserved) return next(context);
        return InstrumentedAsync(context, next, trace);
    }

    // Async on purpose: the span becomes Activity.Current only inside this method's flow and is never leaked into the
    // read loop that called the pipeline.
    private static async ValueTask InstrumentedAsync(ServerCallContext context, ServerCallHandler next, bool trace)
    {
        Activity? activity = null;
        if (trace)
        {
            Activity.Current = null; // the span's parent is the caller's span, never whatever ran before on this thread
            TraceContext.TryExtract(context.RequestHeaders, out var parent);
            activity = RpcInstruments.Source.StartActivity(ActivityKind.Server, parent, name: context.Service + "/" + context.Method);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(RpcAttributes.System, MeshworkTelemetry.RpcSystem);
                activity.SetTag(RpcAttributes.Service, context.Service);
                activity.SetTag(RpcAttributes.Method, context.Method);
                activity.SetTag(RpcAttributes.CallKind, RpcInstruments.KindName(context.Kind));
                activity.SetTag(RpcAttributes.PeerAddress, context.Peer);
            }
        }
        bool countActive = RpcInstruments.ServerActive.Enabled;
        if (countActive) RpcInstruments.ServerActive.Add(1, RpcInstruments.CallTags(context.Service, context.Method));
        long start = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        string? message = null;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            status = e switch
            {
                RpcException rpc => rpc.Status,
                OperationCanceledException when context.CancellationReason != StatusCode.OK => context.CancellationReason,
                OperationCanceledException => StatusCode.Cancelled,
                _ => StatusCode.Internal, // what the server answers for an unhandled exception
            };
            message = e.Message;
            throw;
        }
        finally
        {
            RpcInstruments.RecordEnd(client: false, context.Service, context.Method, status, start, countActive);
            RpcInstruments.Finish(activity, status, message);
        }
    }
}
