using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The client's stream slots (MaxConcurrentStreamsPerConnection) are taken and returned without a lock; callers beyond
/// the limit wait and are handed the slots of calls that finish. The limit must hold, and no waiter may be forgotten,
/// including after another waiter gave up.
/// </summary>
public class StreamSlotTests
{
    private static readonly Method<int, int> Hold = new("Slots", "Hold", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());

    [Fact]
    public async Task Calls_beyond_the_stream_limit_wait_for_freed_slots_and_the_limit_holds()
    {
        int inFlight = 0, maxInFlight = 0, arrived = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new ServiceDefinition("Slots").AddUnary(Hold, async (n, _) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
            {
            }
            Interlocked.Increment(ref arrived);
            await gate.Task;
            Interlocked.Decrement(ref inFlight);
            return n;
        });
        await using var f = await ServerFixture.StartAsync(client: o => o.MaxConcurrentStreamsPerConnection = 2, configure: s => s.AddService(service));
        await f.Channel.ConnectAsync();

        var holders = new List<Task<int>> { f.Channel.UnaryAsync(Hold, 0).AsTask(), f.Channel.UnaryAsync(Hold, 1).AsTask() };
        await ErrorAndDeadlineTests.WaitUntil(() => Volatile.Read(ref arrived) == 2);
        // A waiter that gives up while both slots are held.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await f.Channel.UnaryAsync(Hold, -1, new CallOptions { Timeout = TimeSpan.FromMilliseconds(100) }));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        // Then many that wait with no deadline: only slots handed over by finishing calls can let them through.
        var waiters = Enumerable.Range(2, 30).Select(i => f.Channel.UnaryAsync(Hold, i).AsTask()).ToList();
        Assert.Equal(2, Volatile.Read(ref arrived));

        gate.SetResult();
        var all = await Task.WhenAll(holders.Concat(waiters)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, 32), all);
        Assert.True(maxInFlight <= 2, $"{maxInFlight} calls ran at once on a connection limited to 2 streams");
        // Every slot came back, the one handed to the waiter that gave up included: two calls are on the server at once again.
        gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var again = new[] { f.Channel.UnaryAsync(Hold, 7).AsTask(), f.Channel.UnaryAsync(Hold, 8).AsTask() };
        await ErrorAndDeadlineTests.WaitUntil(() => Volatile.Read(ref arrived) == 34);
        gate.SetResult();
        Assert.Equal(new[] { 7, 8 }, await Task.WhenAll(again).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
