using System.Collections.Concurrent;

namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// Counts malformed input received from the network, per kind (see <see cref="MalformedInputKinds"/> and
/// <c>SerfMalformedInputKinds</c> in Meshwork.Serf). Every dropped message is counted, also those whose log line was
/// suppressed by rate limiting. Thread-safe; read it from a metrics exporter with <see cref="Snapshot"/>.
/// </summary>
public sealed class MalformedInputCounters
{
    private readonly ConcurrentDictionary<string, StrongBox> _counts = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>Total malformed inputs of all kinds.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Count of one kind (0 if never seen).</summary>
    public long this[string kind] => _counts.TryGetValue(kind, out var box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>Adds one to <paramref name="kind"/>.</summary>
    public void Increment(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var box = _counts.GetOrAdd(kind, static _ => new StrongBox());
        Interlocked.Increment(ref box.Value);
        Interlocked.Increment(ref _total);
    }

    /// <summary>A point-in-time copy of every kind seen so far and its count.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        _counts.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value), StringComparer.Ordinal);

    private sealed class StrongBox
    {
        public long Value;
    }
}
