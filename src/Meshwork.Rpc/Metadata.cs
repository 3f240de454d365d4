using System.Collections;

namespace Meshwork.Rpc;

/// <summary>
/// Ordered string→string pairs sent with a call (request headers) or a response (trailers).
/// Keys are compared case-insensitively; <see cref="Set"/> replaces, <see cref="Add"/> appends.
/// A list rather than a dictionary because typical metadata has a handful of entries and order is preserved on the wire.
/// </summary>
public sealed class Metadata : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _entries;

    /// <summary>Empty metadata.</summary>
    public Metadata() => _entries = new List<KeyValuePair<string, string>>();

    /// <summary>Empty metadata with room for <paramref name="capacity"/> entries.</summary>
    public Metadata(int capacity) => _entries = new List<KeyValuePair<string, string>>(capacity);

    /// <summary>Number of entries, repeated keys counted once per value.</summary>
    public int Count => _entries.Count;

    /// <summary>Appends a value for <paramref name="key"/>, keeping earlier values. The key must be non-empty and the value non-null.</summary>
    public void Add(string key, string value)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(value);
        _entries.Add(new(key, value));
    }

    /// <summary>Sets <paramref name="key"/> to a single value, removing earlier values.</summary>
    public void Set(string key, string value)
    {
        Remove(key);
        Add(key, value);
    }

    /// <summary>Removes every value of <paramref name="key"/>; false if there was none.</summary>
    public bool Remove(string key) => _entries.RemoveAll(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)) > 0;

    /// <summary>The first value for <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        foreach (var e in _entries)
        {
            if (string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return e.Value;
            }
        }
        return null;
    }

    /// <summary>Gets the first value of <paramref name="key"/> (null if absent); setting replaces all values, and setting null removes the key.</summary>
    public string? this[string key]
    {
        get => Get(key);
        set
        {
            if (value is null)
            {
                Remove(key);
            }
            else
            {
                Set(key, value);
            }
        }
    }

    /// <summary>Appends every entry of <paramref name="other"/>; null adds nothing.</summary>
    public void AddRange(Metadata? other)
    {
        if (other is null)
        {
            return;
        }
        _entries.AddRange(other._entries);
    }

    /// <summary>Enumerates the entries in order, without allocating.</summary>
    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    private static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
    }

    /// <summary>The entries as <c>key=value</c> pairs, for logs.</summary>
    public override string ToString() => string.Join(", ", _entries.Select(e => e.Key + "=" + e.Value));
}
