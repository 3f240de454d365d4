using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshwork.Diagnostics.Tests;

/// <summary>An ActivityListener on the Meshwork source that samples everything and keeps the stopped spans.</summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MeshworkTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    public Activity Single(ActivityKind kind, string name) => Stopped.Single(a => a.Kind == kind && a.DisplayName == name);

    public Task WaitForAsync(int count, string what) => Eventually.TrueAsync(() => Stopped.Count >= count, what);

    public void Dispose() => _listener.Dispose();
}
