namespace Meshwork.Diagnostics;

/// <summary>The objects an observable instrument reports on; adding returns the handle that removes again.</summary>
internal sealed class TrackedSet<T> where T : class
{
    private readonly Lock _gate = new();
    private T[] _items = [];

    public IDisposable Add(T item)
    {
        lock (_gate) _items = [.. _items, item];
        return new Removal(this, item);
    }

    /// <summary>A snapshot; observable callbacks enumerate it without holding the lock.</summary>
    public T[] Items => Volatile.Read(ref _items);

    private void Remove(T item)
    {
        lock (_gate) _items = _items.Where(i => !ReferenceEquals(i, item)).ToArray();
    }

    private sealed class Removal(TrackedSet<T> owner, T item) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Remove(item);
        }
    }
}
