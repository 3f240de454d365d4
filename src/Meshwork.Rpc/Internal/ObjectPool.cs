namespace Meshwork.Rpc.Internal;

/// <summary>Small lock-free pool: a fast first slot plus a fixed array. Losing an object under contention is fine; the GC takes it.</summary>
internal sealed class ObjectPool<T> where T : class
{
    private T? _first;
    private readonly T?[] _items;

    public ObjectPool(int size = 64) => _items = new T?[size];

    public T? TryRent()
    {
        var item = _first;
        if (item is not null && Interlocked.CompareExchange(ref _first, null, item) == item) return item;
        var items = _items;
        for (int i = 0; i < items.Length; i++)
        {
            item = items[i];
            if (item is not null && Interlocked.CompareExchange(ref items[i], null, item) == item) return item;
        }
        return null;
    }

    public void Return(T item)
    {
        if (_first is null && Interlocked.CompareExchange(ref _first, item, null) is null) return;
        var items = _items;
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i] is null && Interlocked.CompareExchange(ref items[i], item, null) is null) return;
        }
    }
}
