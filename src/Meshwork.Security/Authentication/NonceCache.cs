namespace Meshwork.Security.Authentication;

/// <summary>
/// The nonces of signed calls seen within the replay window, bounded to a capacity. A nonce is forgotten once its
/// timestamp has left the clock-skew window (such a call is refused as expired anyway). When the cache is full, the
/// oldest nonce is forgotten and the <em>floor</em> rises to its timestamp: calls at or below the floor are refused
/// from then on, so forgetting never lets a replay through; under a flood the accepted window just narrows.
/// </summary>
internal sealed class NonceCache(int capacity, long floorMs = long.MinValue)
{
    private readonly Dictionary<(string KeyId, string Nonce), long> _seen = new();
    private readonly PriorityQueue<(string KeyId, string Nonce), long> _byTimestamp = new();
    private long _floorMs = floorMs;

    /// <summary>Most nonces held.</summary>
    public int Capacity => capacity;

    public enum Verdict
    {
        Accepted,
        Replayed,
        BelowFloor,
    }

    /// <summary>Entries held now, for tests of the bound.</summary>
    public int Count
    {
        get { lock (_seen) return _seen.Count; }
    }

    /// <summary>The timestamp at or below which calls are refused because their nonces could no longer be remembered.</summary>
    public long FloorMs
    {
        get { lock (_seen) return _floorMs; }
    }

    /// <summary>Records the nonce of a call whose signature is valid and whose timestamp is within the skew window.</summary>
    public Verdict TryAdd(string keyId, string nonce, long timestampMs, long oldestAcceptedMs)
    {
        var key = (keyId, nonce);
        lock (_seen)
        {
            while (_byTimestamp.TryPeek(out var oldest, out long ts) && ts < oldestAcceptedMs)
            {
                _byTimestamp.Dequeue();
                _seen.Remove(oldest);
            }
            if (timestampMs <= _floorMs) return Verdict.BelowFloor;
            if (_seen.ContainsKey(key)) return Verdict.Replayed;
            if (_seen.Count >= capacity)
            {
                var evicted = _byTimestamp.Dequeue();
                _floorMs = Math.Max(_floorMs, _seen[evicted]);
                _seen.Remove(evicted);
                if (timestampMs <= _floorMs) return Verdict.BelowFloor;
            }
            _seen.Add(key, timestampMs);
            _byTimestamp.Enqueue(key, timestampMs);
            return Verdict.Accepted;
        }
    }
}
