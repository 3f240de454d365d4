namespace Meshwork.Security.Authentication;

/// <summary>
/// The HMAC keys a server accepts, by id. Keys can be added and removed while the server runs (rotation): a call is
/// checked against the keys live when it arrives. Thread-safe; lookups take no lock.
/// </summary>
public sealed class HmacKeyRing
{
    private volatile Dictionary<string, HmacKey> _keys = new(StringComparer.Ordinal);
    private readonly object _writeLock = new();

    /// <summary>An empty ring; add keys with <see cref="Add"/>.</summary>
    public HmacKeyRing()
    {
    }

    /// <summary>A ring holding <paramref name="keys"/> (validated; ids must be distinct).</summary>
    public HmacKeyRing(IEnumerable<HmacKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys) Add(key);
    }

    /// <summary>Ids of the keys accepted now.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Starts accepting <paramref name="key"/> (a copy of it). Throws <see cref="Rpc.InvalidOptionException"/> if it is not valid, <see cref="ArgumentException"/> if its id is taken.</summary>
    public void Add(HmacKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.Validate(nameof(HmacKey), key.Id ?? "");
        var copy = new HmacKey { Id = key.Id!, Secret = key.Secret.ToArray(), Name = key.Name, Roles = key.Roles.ToArray() };
        lock (_writeLock)
        {
            if (_keys.ContainsKey(copy.Id)) throw new ArgumentException($"HMAC key '{copy.Id}' is already in the ring; remove it first to replace it", nameof(key));
            _keys = new Dictionary<string, HmacKey>(_keys, StringComparer.Ordinal) { [copy.Id] = copy };
        }
    }

    /// <summary>Stops accepting the key <paramref name="keyId"/>; calls signed with it are refused from now on. False if there was none.</summary>
    public bool Remove(string keyId)
    {
        lock (_writeLock)
        {
            if (!_keys.ContainsKey(keyId)) return false;
            var next = new Dictionary<string, HmacKey>(_keys, StringComparer.Ordinal);
            next.Remove(keyId);
            _keys = next;
            return true;
        }
    }

    internal bool TryGet(string keyId, out HmacKey key) => _keys.TryGetValue(keyId, out key!);
}
