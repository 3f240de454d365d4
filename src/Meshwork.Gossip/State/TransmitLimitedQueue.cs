namespace Meshwork.Gossip;

/// <summary>
/// Transmit-limited broadcast queue (memberlist's <c>TransmitLimitedQueue</c>): messages waiting to be piggy-backed
/// on gossip and probe datagrams. Each message is handed out at most <c>RetransmitMult × ceil(log10(n+1))</c> times,
/// where n is the current cluster size, least-transmitted first, larger first among equals, newer first among those;
/// then it is dropped and its <c>finished</c> callback runs. A message enqueued with a key replaces (and finishes) any
/// queued message with the same key, so only the latest news about one subject is gossiped.
/// </summary>
/// <remarks>
/// The member list keeps one for its own messages; a layer above keeps its own (Serf keeps three: intents, events,
/// queries) and returns their messages from <see cref="IGossipDelegate.GetBroadcasts"/>. Not thread-safe: use it
/// under one lock. For a layer on <see cref="GossipNode"/> that is <see cref="GossipNode.StateLock"/>, which the
/// node already holds when it calls <see cref="IGossipDelegate.GetBroadcasts"/>. Callbacks run synchronously inside
/// <see cref="Enqueue"/>, <see cref="GetBroadcasts"/>, <see cref="PruneOldest"/> and <see cref="Clear"/>.
/// </remarks>
public sealed class TransmitLimitedQueue
{
    private readonly List<Broadcast> _items = [];
    private readonly int _retransmitMult;
    private readonly Func<int> _numNodes;
    private long _nextId;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="retransmitMult">Retransmit multiplier (see <see cref="MemberlistOptions.RetransmitMult"/>; use the same value as the member list).</param>
    /// <param name="numNodes">Current number of known nodes, read each time broadcasts are taken.</param>
    public TransmitLimitedQueue(int retransmitMult, Func<int> numNodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retransmitMult);
        ArgumentNullException.ThrowIfNull(numNodes);
        _retransmitMult = retransmitMult;
        _numNodes = numNodes;
    }

    /// <summary>Number of queued messages.</summary>
    public int Count => _items.Count;

    /// <summary>
    /// Queues <paramref name="message"/> (a complete message, type byte first). With a <paramref name="key"/>, queued
    /// messages with the same key are dropped first (their callbacks run). <paramref name="finished"/> runs once the
    /// message was sent its full number of times, or was replaced, pruned or cleared.
    /// </summary>
    /// <exception cref="ArgumentException">The message is empty (an empty compound part crashes memberlist 0.2.2 peers).</exception>
    public void Enqueue(byte[] message, string? key = null, Action? finished = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Length == 0) { throw new ArgumentException("a broadcast must not be empty", nameof(message)); }
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

    /// <summary>How many times a message is sent in a cluster of <paramref name="n"/> nodes: <c>mult × ceil(log10(n+1))</c>.</summary>
    public static int RetransmitLimit(int mult, int n) => mult * (int)Math.Ceiling(Math.Log10(n + 1.0));

    /// <summary>
    /// Takes messages that fit in <paramref name="limit"/> bytes, each costing its length plus
    /// <paramref name="overhead"/> (the framing the caller adds per message), at most
    /// <see cref="MaxMessagesPerPacket"/> of them, and counts one transmission for each. Returns a new list the
    /// caller owns.
    /// </summary>
    public List<byte[]> GetBroadcasts(int overhead, int limit)
    {
        var result = new List<byte[]>();
        if (_items.Count == 0) { return result; }
        var maxTransmits = Math.Max(1, RetransmitLimit(_retransmitMult, _numNodes()));
        _items.Sort(static (a, b) =>
        {
            var c = a.Transmits.CompareTo(b.Transmits);
            if (c != 0) { return c; }
            c = b.Message.Length.CompareTo(a.Message.Length);
            return c != 0 ? c : b.Id.CompareTo(a.Id);
        });
        var used = 0;
        for (var i = 0; i < _items.Count && result.Count < MaxMessagesPerPacket; i++)
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

    /// <summary>
    /// Most messages handed out by one <see cref="GetBroadcasts"/> call: a compound message holds at most 127 parts
    /// (memberlist 0.2.2 mis-reads a count of 128 or more).
    /// </summary>
    public const int MaxMessagesPerPacket = Wire.PacketCodec.MaxCompoundParts;

    /// <summary>Drops the oldest messages (their callbacks run) until at most <paramref name="max"/> remain.</summary>
    public void PruneOldest(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        if (_items.Count <= max) { return; }
        _items.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        var drop = _items.Count - max;
        for (var i = 0; i < drop; i++) { _items[i].Finished?.Invoke(); }
        _items.RemoveRange(0, drop);
    }

    /// <summary>Drops every queued message; their callbacks run.</summary>
    public void Clear()
    {
        foreach (var item in _items) { item.Finished?.Invoke(); }
        _items.Clear();
    }

    private sealed class Broadcast(string? key, byte[] message, Action? finished)
    {
        public string? Key { get; } = key;
        public byte[] Message { get; } = message;
        public Action? Finished { get; } = finished;
        public int Transmits { get; set; }
        public long Id { get; init; }
    }
}
