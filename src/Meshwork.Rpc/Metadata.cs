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

    public Metadata() => _entries = new List<KeyValuePair<string, string>>();

    public Metadata(int capacity) => _entries = new List<KeyValuePair<string, string>>(capacity);

    public int Count => _entries.Count;

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

    public void AddRange(Metadata? other)
    {
        if (other is null)
        {
            return;
        }
        _entries.AddRange(other._entries);
    }

    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    private static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
    }

    public override string ToString() => string.Join(", ", _entries.Select(e => e.Key + "=" + e.Value));
}
