using Meshwork.Rpc.Internal;

namespace Meshwork.Rpc.Tests;

/// <summary>The bounded pool behind pooled calls, and the per-thread slot in front of it.</summary>
public class ObjectPoolTests
{
    private sealed class Box;
    private sealed class OtherBox;

    [Fact]
    public void A_pool_hands_out_what_was_returned_and_never_more_than_it_holds()
    {
        var pool = new ObjectPool<Box>(size: 2);
        Assert.Null(pool.TryRent());
        Box a = new(), b = new(), c = new();
        pool.Return(a);
        pool.Return(b);
        pool.Return(c); // full: left to the collector
        var first = pool.TryRent();
        var second = pool.TryRent();
        Assert.Same(a, first); // first in, first out
        Assert.Same(b, second);
        Assert.Null(pool.TryRent());
    }

    [Fact]
    public void With_a_thread_slot_the_object_a_thread_returned_is_the_one_it_rents_next_and_other_threads_use_the_ring()
    {
        var pool = new ObjectPool<OtherBox>(size: 4, threadSlot: true);
        OtherBox older = new(), newer = new();
        pool.Return(older); // fills this thread's slot
        pool.Return(newer); // the slot is taken: into the ring
        // Another thread has an empty slot of its own and gets the ring's object. Joined, not awaited: the rest of the
        // test must stay on this thread.
        OtherBox? elsewhere = null;
        var other = new Thread(() => elsewhere = pool.TryRent());
        other.Start();
        other.Join();
        Assert.Same(newer, elsewhere);
        // This thread gets back the object it returned first, from its slot, although the ring is now empty.
        Assert.Same(older, pool.TryRent());
        Assert.Null(pool.TryRent());
    }
}
