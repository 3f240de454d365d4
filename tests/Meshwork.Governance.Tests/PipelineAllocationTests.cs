using Meshwork.Discovery;
using Meshwork.Rpc.Client;
using Meshwork.Testing;

namespace Meshwork.Governance.Tests;

/// <summary>
/// The governed unary pipeline adds no per-call allocation to the channel's: its state machine is pooled, and the
/// bulkhead, policy, budget, pick and attempt run in it rather than in nested async methods of their own.
/// </summary>
public sealed class PipelineAllocationTests
{
    [Fact]
    public async Task Starting_a_governed_unary_call_allocates_no_more_than_starting_a_bare_one()
    {
        await using var server = await TestServer.StartAsync("s0");
        await using var bare = RpcChannel.ForAddress(server.Address);
        await using var governed = new GovernedCallInvoker(new StaticServiceRegistry([server.Instance()]));
        await governed.WaitForEndpointsAsync(Echo.Service, e => e.Count == 1, Eventually.Token());

        double barePerCall = await StartAllocationAsync(bare);
        double governedPerCall = await StartAllocationAsync(governed);

        // What a call allocates on the thread that starts it: every async method that suspends boxes its state there,
        // and the nested pipeline did so three times (over 600 bytes a call). A pooled box is rented from the thread's
        // cache; the slack allows for the rare rent that finds the caches empty.
        Assert.True(governedPerCall <= barePerCall + 32,
            $"starting a governed call allocated {governedPerCall:F1} B on the calling thread, a bare one {barePerCall:F1} B");
    }

    /// <summary>Average bytes allocated on the calling thread by the synchronous part of a unary call (up to its first suspension).</summary>
    private static async Task<double> StartAllocationAsync(CallInvoker invoker)
    {
        for (int i = 0; i < 500; i++) await invoker.UnaryAsync(Echo.Who, "x"); // warm up: tiering, pools, statics
        const int Calls = 2000;
        long allocated = 0;
        for (int i = 0; i < Calls; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var pending = invoker.UnaryAsync(Echo.Who, "x");
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("s0", await pending);
        }
        return allocated / (double)Calls;
    }
}
