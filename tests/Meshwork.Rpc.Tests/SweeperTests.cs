using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Testing;

namespace Meshwork.Rpc.Tests;

/// <summary>The process-wide sweeper (deadlines, heartbeats, idle closes, rescues) runs on a thread of its own.</summary>
public class SweeperTests
{
    private sealed class Probe(int sweepsWanted) : DeadlineSweeper.ISweepable
    {
        private int _sweeps;
        public int Sweeps => Volatile.Read(ref _sweeps);
        public bool SweptOnThreadPool { get; private set; }
        public string? ThreadName { get; private set; }

        public bool Sweep(long nowMicros)
        {
            SweptOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            ThreadName = Thread.CurrentThread.Name;
            return Interlocked.Increment(ref _sweeps) < sweepsWanted;
        }
    }

    [Fact]
    public async Task Sweeps_run_on_the_sweeper_thread_not_on_the_thread_pool_and_a_finished_item_is_dropped()
    {
        var finishing = new Probe(sweepsWanted: 3);
        DeadlineSweeper.Register(finishing);
        await Eventually.TrueAsync(() => finishing.Sweeps == 3, "the item was swept until it said it was finished");
        // A thread-pool worker woken for every tick spins before it sleeps again: the ticks must not be work items.
        Assert.False(finishing.SweptOnThreadPool);
        Assert.Equal("Meshwork sweeper", finishing.ThreadName);

        // Over three ticks after a later registration, the finished item was not swept again.
        var later = new Probe(sweepsWanted: 3);
        DeadlineSweeper.Register(later);
        await Eventually.TrueAsync(() => later.Sweeps == 3, "the later item was swept");
        Assert.Equal(3, finishing.Sweeps);
        Assert.False(later.SweptOnThreadPool);
    }

    private static readonly Method<string, string> Stuck = new("Sweep", "Stuck", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Slow = new("Sweep", "Slow", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    [Fact]
    public async Task A_handler_that_blocks_when_its_deadline_expires_does_not_stop_the_sweeper()
    {
        // The sweeper expires a handler's deadline; the handler's cancellation callback blocks its thread until the
        // test ends. Deadlines elsewhere in the process must still expire, which they could not if the expiry ran the
        // callback on the sweeper's own thread.
        using var gate = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromMilliseconds(100) });
        server.AddService(new Server.ServiceDefinition("Sweep")
            .AddUnary(Stuck, async (_, ctx) =>
            {
                ctx.CancellationToken.Register(() =>
                {
                    blocking.TrySetResult(Thread.CurrentThread.Name == "Meshwork sweeper");
                    gate.Wait();
                });
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            })
            .AddUnary(Slow, async (_, ctx) =>
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            }));
        await server.StartAsync();
        try
        {
            // A raw client that never sends a cancel: only the server's sweep can expire this call.
            using var peer = await RawPeer.ConnectAsync(server.BoundEndpoints[0]);
            await peer.SendAsync(RawFrames.Request(Stuck, 1, "x", timeoutMicros: 50_000));
            bool onSweeper = await blocking.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(onSweeper, "the expired handler's callback ran on the sweeper's thread");

            await using var channel = Client.RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
            var late = channel.UnaryAsync(Slow, "y", new CallOptions { Timeout = TimeSpan.FromMilliseconds(100) }).AsTask();
            var ex = await Assert.ThrowsAsync<RpcException>(() => late.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        }
        finally
        {
            gate.Set();
        }
    }
}
