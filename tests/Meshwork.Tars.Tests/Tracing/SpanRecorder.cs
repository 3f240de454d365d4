using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshwork.Tars.Tests.Tracing;

/// <summary>Records every span of the Meshwork.Rpc source that stops while it lives; <paramref name="sampleClients"/> false drops client spans.</summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder(bool sampleClients = true)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TarsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                o.Kind == ActivityKind.Client && !sampleClients ? ActivitySamplingResult.None : ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    /// <summary>Spans of the given kind and name (other tests' spans never share the test's object names).</summary>
    public List<Activity> Of(ActivityKind kind, string name) => [.. Stopped.Where(a => a.Kind == kind && a.DisplayName == name)];

    public Task WaitForAsync(Func<ConcurrentQueue<Activity>, bool> condition, string what) => Eventually.TrueAsync(() => condition(Stopped), what);

    public void Dispose() => _listener.Dispose();
}

/// <summary>Listeners are process-wide: the tracing tests run alone, so that other tests' calls neither add spans nor see a listener.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "tars-tracing";
}
