using System.Diagnostics;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Where the code a frame sets off runs (DispatchMode): on the read loop while it is quick, queued after a slow read,
/// and a read loop that code blocks is taken over by the sweep so that the frames behind it are still handled.
/// </summary>
public class DispatchTests
{
    private static readonly Method<string, string> Block = new("Gate", "Block", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Open = new("Gate", "Open", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<int, string> Busy = new("Gate", "Busy", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());

    private static ServiceDefinition GateService(ManualResetEventSlim gate, TaskCompletionSource blockStarted) =>
        new ServiceDefinition("Gate")
            // Blocks its thread until a later call of the same connection opens the gate; bounded so a failure cannot hang the run.
            .AddUnary(Block, (_, _) =>
            {
                blockStarted.TrySetResult();
                return new ValueTask<string>(gate.Wait(TimeSpan.FromSeconds(60)) ? "passed" : "timed out");
            })
            .AddUnary(Open, (_, _) =>
            {
                gate.Set();
                return new ValueTask<string>("opened");
            })
            // Synchronous work of the given length: a handler that is slow, not blocked.
            .AddUnary(Busy, (ms, _) =>
            {
                Thread.Sleep(ms);
                return new ValueTask<string>("done");
            });

    private static (ServerConnection Server, ClientConnection Client) Connections(ServerFixture f) =>
        (f.Server.Connections.Single(), f.Channel.CurrentConnections.Single());

    /// <summary>The first calls can themselves be slow (compiling the code they run): waits for their queueing period to end.</summary>
    private static async Task UntilNotQueueingAsync(FrameConnection connection)
    {
        var waited = Stopwatch.StartNew();
        while (connection.IsQueueingAfterSlowWork && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.False(connection.IsQueueingAfterSlowWork);
    }

    [Fact]
    public async Task Quick_handlers_and_continuations_run_on_the_read_loops_by_default()
    {
        await using var f = await ServerFixture.StartAsync();
        await f.Channel.ConnectAsync();
        Assert.Equal("warm", await f.Channel.UnaryAsync(TestService.Echo, "warm"));
        var (server, client) = Connections(f);
        // No queueing period after slow code (a loaded machine can make any call slow): every call must run inline.
        server.QueueAfterSlowReadTicks = client.QueueAfterSlowReadTicks = 0;
        await UntilNotQueueingAsync(server);
        await UntilNotQueueingAsync(client);
        int serverBefore = server.InlineRuns, clientBefore = client.InlineRuns;
        for (int i = 0; i < 20; i++) Assert.Equal("x" + i, await f.Channel.UnaryAsync(TestService.Echo, "x" + i));
        Assert.Equal(20, server.InlineRuns - serverBefore);
        Assert.Equal(20, client.InlineRuns - clientBefore);
    }

    [Fact]
    public async Task Queued_dispatch_never_runs_handlers_or_continuations_on_the_read_loops()
    {
        await using var f = await ServerFixture.StartAsync(
            server: o => o.HandlerDispatch = DispatchMode.Queued,
            client: o => o.CompletionDispatch = DispatchMode.Queued);
        await f.Channel.ConnectAsync();
        for (int i = 0; i < 20; i++) Assert.Equal("x" + i, await f.Channel.UnaryAsync(TestService.Echo, "x" + i));
        var (server, client) = Connections(f);
        Assert.Equal(0, server.InlineRuns);
        Assert.Equal(0, client.InlineRuns);
    }

    [Fact]
    public async Task A_handler_that_blocks_the_read_loop_is_taken_over_and_the_calls_behind_it_are_served()
    {
        using var gate = new ManualResetEventSlim();
        var blockStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Inline: the blocking handler runs on the read loop whatever it costs, so only the takeover can read Open.
        await using var f = await ServerFixture.StartAsync(server: o => o.HandlerDispatch = DispatchMode.Inline,
            configure: s => s.AddService(GateService(gate, blockStarted)));
        await f.Channel.ConnectAsync();
        long takeoversBefore = FrameConnection.ReadLoopTakeovers;
        var blocked = f.Channel.UnaryAsync(Block, "x").AsTask();
        await blockStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("opened", await f.Channel.UnaryAsync(Open, "x").AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("passed", await blocked.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(FrameConnection.ReadLoopTakeovers > takeoversBefore);
        // The connection goes on serving on the new loop.
        Assert.Equal("after", await f.Channel.UnaryAsync(TestService.Echo, "after"));
    }

    [Fact]
    public async Task A_continuation_waiting_synchronously_for_another_call_of_its_connection_is_taken_over()
    {
        using var gate = new ManualResetEventSlim();
        var blockStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var f = await ServerFixture.StartAsync(
            server: o => o.HandlerDispatch = DispatchMode.Queued,
            client: o => o.CompletionDispatch = DispatchMode.Inline,
            configure: s => s.AddService(GateService(gate, blockStarted)));
        await f.Channel.ConnectAsync();
        long takeoversBefore = FrameConnection.ReadLoopTakeovers;
        async Task<string> CallerAsync()
        {
            // The reply is held until this caller waits for it, so its continuation runs on the client's read loop,
            // which it then blocks on a reply only that read loop could deliver.
            var first = await f.Channel.UnaryAsync(Block, "a").ConfigureAwait(false);
            var second = f.Channel.UnaryAsync(TestService.Echo, "b").AsTask().GetAwaiter().GetResult();
            return first + second;
        }
        var caller = CallerAsync();
        await blockStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        gate.Set();
        Assert.Equal("passedb", await caller.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(FrameConnection.ReadLoopTakeovers > takeoversBefore);
        Assert.Equal("after", await f.Channel.UnaryAsync(TestService.Echo, "after"));
    }

    [Fact]
    public async Task Adaptive_dispatch_queues_the_work_of_a_connection_after_a_slow_read()
    {
        using var gate = new ManualResetEventSlim();
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(GateService(gate, new TaskCompletionSource())));
        await f.Channel.ConnectAsync();
        Assert.Equal("warm", await f.Channel.UnaryAsync(TestService.Echo, "warm"));
        var (server, _) = Connections(f);
        await UntilNotQueueingAsync(server);
        server.QueueAfterSlowReadTicks = Stopwatch.Frequency * 3600;
        // 20 ms of synchronous work, three times: far over the 200 µs a handler may spend on the read loop, as often
        // as it takes (one slow run alone is taken for a garbage collection or a preempted thread).
        for (int i = 0; i < FrameConnection.SlowRunsToQueue; i++) Assert.Equal("done", await f.Channel.UnaryAsync(Busy, 20));
        Assert.True(server.IsQueueingAfterSlowWork);
        int inlineBefore = server.InlineRuns;
        for (int i = 0; i < 5; i++) Assert.Equal("q" + i, await f.Channel.UnaryAsync(TestService.Echo, "q" + i));
        Assert.Equal(inlineBefore, server.InlineRuns);
    }
}
