using System.Diagnostics;
using Meshwork.Tars;

namespace Meshwork.Bench.Tars;

/// <summary>An ActivityListener that records every TARS span (client and server), to measure the cost of tracing when someone listens.</summary>
internal static class Tracing
{
    public static IDisposable Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TarsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
