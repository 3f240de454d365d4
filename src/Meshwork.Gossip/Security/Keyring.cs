namespace Meshwork.Gossip.Security;

/// <summary>
/// Ordered set of AES keys. Element 0 is the primary key (used to encrypt); every key is tried to decrypt.
/// Thread-safe: key rotation happens from serf internal queries while packets are being processed.
/// </summary>
public sealed class Keyring
{
    private readonly Lock _gate = new();
    private List<byte[]> _keys = [];

    /// <summary>Creates a keyring whose first key is the primary one.</summary>
    public Keyring(IEnumerable<byte[]> keys)
    {
        foreach (var key in keys) { AddKey(key); }
        if (_keys.Count == 0) { throw new ArgumentException("a keyring needs at least one key", nameof(keys)); }
    }

    /// <summary>Creates a keyring from base64 keys as printed by <c>serf keygen</c>.</summary>
    public static Keyring FromBase64(params string[] keys) => new(keys.Select(Convert.FromBase64String));

    /// <summary>Validates an AES key length (16, 24 or 32 bytes).</summary>
    public static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"key size must be 16, 24 or 32 bytes, got {key.Length}");
        }
    }

    /// <summary>Snapshot of the keys, primary first.</summary>
    public IReadOnlyList<byte[]> Keys
    {
        get { lock (_gate) { return _keys; } }
    }

    /// <summary>The key used to encrypt.</summary>
    public byte[] PrimaryKey
    {
        get { lock (_gate) { return _keys[0]; } }
    }

    /// <summary>Installs a key; a no-op if it is already present. The first key ever added becomes primary.</summary>
    public void AddKey(byte[] key)
    {
        ValidateKey(key);
        lock (_gate)
        {
            if (_keys.Any(k => k.AsSpan().SequenceEqual(key))) { return; }
            _keys = [.. _keys, (byte[])key.Clone()];
        }
    }

    /// <summary>Makes an installed key primary.</summary>
    public void UseKey(byte[] key)
    {
        lock (_gate)
        {
            var index = _keys.FindIndex(k => k.AsSpan().SequenceEqual(key));
            if (index < 0) { throw new InvalidOperationException("Requested key is not in the keyring"); }
            var list = new List<byte[]>(_keys);
            var found = list[index];
            list.RemoveAt(index);
            list.Insert(0, found);
            _keys = list;
        }
    }

    /// <summary>Removes a non-primary key.</summary>
    public void RemoveKey(byte[] key)
    {
        lock (_gate)
        {
            if (_keys[0].AsSpan().SequenceEqual(key)) { throw new InvalidOperationException("Removing the primary key is not allowed"); }
            _keys = _keys.Where(k => !k.AsSpan().SequenceEqual(key)).ToList();
        }
    }
}
