namespace Meshwork.Rpc.Internal;

/// <summary>
/// Small bounded lock-free pool: a fixed ring of cells with sequence numbers (the bounded multi-producer,
/// multi-consumer queue of ConcurrentQueue's segments, without its growth). Renting and returning cost one
/// compare-and-swap whatever the number of objects out: a scan of a slot array costs one read per object currently
/// rented (256 reads per call at 256 calls in flight), and a lock costs a convoy when its holder is preempted on a busy
/// machine. A rent that finds nothing (or races with a return still being published) returns null and the caller
/// allocates; a return to a full pool leaves the object to the GC.
/// </summary>
internal sealed class ObjectPool<T> where T : class
{
    private struct Cell
    {
        public long Sequence;
        public T? Item;
    }

    private readonly Cell[] _cells;
    private readonly int _mask;
    // On separate cache lines: a pool that hands objects from one thread to another (the read loop rents, a drainer
    // returns) would otherwise move one line between the cores at every rent and every return.
    private PaddedCounter _head; // next cell to rent from
    private PaddedCounter _tail; // next cell to return to
    private readonly bool _threadSlot;

    // One object per thread and type in front of the ring, for pools that opt in. A read loop that completes a call
    // returns its object and, running the caller's next call, rents one again at once: the slot hands back the same
    // object, still in this core's cache, with no atomic operation, where the ring's FIFO would hand out its oldest
    // (last touched on another core). Shared by every opted-in pool of the same type, so an object may move from one
    // such pool to another: only for types whose rent sets up all of their state.
    [ThreadStatic] private static T? t_slot;

    /// <param name="size">Ring capacity (rounded up to a power of two).</param>
    /// <param name="threadSlot">
    /// Put a one-object slot per thread in front of the ring (see <see cref="t_slot"/>); only for types whose rent
    /// initializes every field, since the slot is shared by all pools of <typeparamref name="T"/> that use it.
    /// </param>
    public ObjectPool(int size = 64, bool threadSlot = false)
    {
        _threadSlot = threadSlot;
        int capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, size));
        _cells = new Cell[capacity];
        _mask = capacity - 1;
        for (int i = 0; i < capacity; i++) _cells[i].Sequence = i;
    }

    public T? TryRent()
    {
        if (_threadSlot && t_slot is { } mine)
        {
            t_slot = null;
            return mine;
        }
        var cells = _cells;
        long head = Volatile.Read(ref _head.Value);
        while (true)
        {
            ref var cell = ref cells[head & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long diff = sequence - (head + 1);
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _head.Value, head + 1, head);
                if (seen == head)
                {
                    var item = cell.Item;
                    cell.Item = null;
                    Volatile.Write(ref cell.Sequence, head + cells.Length);
                    return item;
                }
                head = seen;
            }
            else if (diff < 0)
            {
                return null; // empty (or the next return is still being published)
            }
            else
            {
                head = Volatile.Read(ref _head.Value);
            }
        }
    }

    public void Return(T item)
    {
        if (_threadSlot && t_slot is null)
        {
            t_slot = item;
            return;
        }
        var cells = _cells;
        long tail = Volatile.Read(ref _tail.Value);
        while (true)
        {
            ref var cell = ref cells[tail & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long diff = sequence - tail;
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _tail.Value, tail + 1, tail);
                if (seen == tail)
                {
                    cell.Item = item;
                    Volatile.Write(ref cell.Sequence, tail + 1);
                    return;
                }
                tail = seen;
            }
            else if (diff < 0)
            {
                return; // full
            }
            else
            {
                tail = Volatile.Read(ref _tail.Value);
            }
        }
    }
}
