namespace Meshwork.Gossip;

/// <summary>
/// Transmit-limited broadcast queue: every message is piggy-backed at most
/// <c>RetransmitMult × ceil(log10(n+1))</c> times, least-transmitted first, larger first among equals.
/// A broadcast with a <see cref="Broadcast.Key"/> replaces an older queued one with the same key.
/// </summary>
internal sealed class BroadcastQueue(int retransmitMult, Func<int> numNodes)
{
    private readonly List<Broadcast> _items = [];
    private long _nextId;

    public int Count => _items.Count;

    public void Enqueue(byte[] message, string? key = null, Action? finished = null)
    {
        if (key is not null)
        {
            for (var i = _items.Count - 1; i >= 0; i--)
            {
                if (_items[i].Key == key)
                {
                    _items[i].Finished?.Invoke();
                    _items.RemoveAt(i);
                }
            }
        }
        _items.Add(new Broadcast(key, message, finished) { Id = _nextId++ });
    }

    public static int RetransmitLimit(int mult, int n) => mult * (int)Math.Ceiling(Math.Log10(n + 1.0));

    /// <summary>Takes broadcasts fitting in <paramref name="limit"/> bytes, each costing its length plus <paramref name="overhead"/>.</summary>
    public List<byte[]> GetBroadcasts(int overhead, int limit)
    {
        var result = new List<byte[]>();
        if (_items.Count == 0) { return result; }
        var maxTransmits = Math.Max(1, RetransmitLimit(retransmitMult, numNodes()));
        _items.Sort(static (a, b) =>
        {
            var c = a.Transmits.CompareTo(b.Transmits);
            if (c != 0) { return c; }
            c = b.Message.Length.CompareTo(a.Message.Length);
            return c != 0 ? c : b.Id.CompareTo(a.Id);
        });
        var used = 0;
        for (var i = 0; i < _items.Count && result.Count < Wire.PacketCodec.MaxCompoundParts; i++)
        {
            var item = _items[i];
            var cost = item.Message.Length + overhead;
            if (used + cost > limit) { continue; }
            used += cost;
            result.Add(item.Message);
            item.Transmits++;
        }
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            if (_items[i].Transmits >= maxTransmits)
            {
                _items[i].Finished?.Invoke();
                _items.RemoveAt(i);
            }
        }
        return result;
    }

    /// <summary>Drops the oldest broadcasts until at most <paramref name="max"/> remain.</summary>
    public void PruneOldest(int max)
    {
        if (_items.Count <= max) { return; }
        _items.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        var drop = _items.Count - max;
        for (var i = 0; i < drop; i++) { _items[i].Finished?.Invoke(); }
        _items.RemoveRange(0, drop);
    }

    public void Clear()
    {
        foreach (var item in _items) { item.Finished?.Invoke(); }
        _items.Clear();
    }

    internal sealed class Broadcast(string? key, byte[] message, Action? finished)
    {
        public string? Key { get; } = key;
        public byte[] Message { get; } = message;
        public Action? Finished { get; } = finished;
        public int Transmits { get; set; }
        public long Id { get; init; }
    }
}
