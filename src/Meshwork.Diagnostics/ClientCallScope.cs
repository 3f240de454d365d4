using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Diagnostics;

/// <summary>One client call being measured: its span (if sampled), start time and whether it counts as in flight.</summary>
internal readonly struct ClientCallScope
{
    private readonly Activity? _activity;
    private readonly string _service;
    private readonly string _method;
    private readonly long _start;
    private readonly bool _countedActive;

    private ClientCallScope(Activity? activity, string service, string method, long start, bool countedActive)
    {
        _activity = activity;
        _service = service;
        _method = method;
        _start = start;
        _countedActive = countedActive;
    }

    /// <summary>Starts the span (child of <see cref="Activity.Current"/>) and writes its trace context into a copy of the call's headers.</summary>
    public static ClientCallScope Begin(string service, string method, CallKind kind, ref CallOptions options)
    {
        var activity = RpcInstruments.Source.HasListeners()
            ? RpcInstruments.Source.StartActivity(service + "/" + method, ActivityKind.Client)
            : null;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(RpcAttributes.System, MeshworkTelemetry.RpcSystem);
            activity.SetTag(RpcAttributes.Service, service);
            activity.SetTag(RpcAttributes.Method, method);
            activity.SetTag(RpcAttributes.CallKind, RpcInstruments.KindName(kind));
        }
        // An unsampled span still propagates (its flags say "not sampled"), and so does an ambient span we did not start.
        if ((activity ?? Activity.Current) is { } propagate)
        {
            var headers = new Metadata((options.Headers?.Count ?? 0) + 2);
            headers.AddRange(options.Headers);
            TraceContext.Inject(propagate, headers);
            options = options with { Headers = headers };
        }
        bool countActive = RpcInstruments.ClientActive.Enabled;
        if (countActive) RpcInstruments.ClientActive.Add(1, RpcInstruments.CallTags(service, method));
        return new ClientCallScope(activity, service, method, Stopwatch.GetTimestamp(), countActive);
    }

    public void End(StatusCode status, string? message)
    {
        RpcInstruments.RecordEnd(client: true, _service, _method, status, _start, _countedActive);
        RpcInstruments.Finish(_activity, status, message);
    }
}
