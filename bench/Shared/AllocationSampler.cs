using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Meshwork.Bench;

/// <summary>
/// Diagnostic for finding where a server's bytes per call go: listens to the runtime's allocation-tick events (one per
/// ~100 KB allocated, naming the type that crossed the threshold) and sums the sampled bytes per type. Sampling, so
/// only types that make up a good share of the allocations show up; off unless the server is started with
/// <c>--alloc-sample</c>, because the listener itself costs a little.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null) return;
        int typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0) return;
        string type = eventData.Payload![typeIndex] as string ?? "?";
        long amount = Convert.ToInt64(eventData.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    /// <summary>Sampled bytes per type since the last call, largest first, and resets the sums.</summary>
    public IReadOnlyList<(string Type, long Bytes)> TakeTop(int count)
    {
        var snapshot = _bytesByType.ToArray();
        _bytesByType.Clear();
        return snapshot.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (kv.Key, kv.Value)).ToList();
    }
}
