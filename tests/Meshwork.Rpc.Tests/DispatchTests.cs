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
    internal static readonly Method<string, string> Block = new("Gate", "Block", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    internal static readonly Method<string, string> Open = new("Gate", "Open", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<int, string> Busy = new("Gate", "Busy", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Who = new("Gate", "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<int, string> CollectThenBusy = new("Gate", "CollectThenBusy", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());

    internal static ServiceDefinition GateService(ManualResetEventSlim gate, TaskCompletionSource blockStarted) =>
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
            // The client's address as the server sees it: one per connection.
            .AddUnary(Who, (_, ctx) => new ValueTask<string>(ctx.Peer))
            // Synchronous work of the given length in microseconds: a handler that is slow, not blocked.
            .AddUnary(Busy, (micros, _) => new ValueTask<string>(SpinFor(micros)))
            // The same after a collection, as when a garbage collection stops the thread in the middle of a quick handler.
            .AddUnary(CollectThenBusy, (micros, _) =>
            {
                GC.Collect(0);
                return new ValueTask<string>(SpinFor(micros));
            });

    private static string SpinFor(int micros)
    {
        var spent = Stopwatch.StartNew();
        while (spent.Elapsed.TotalMicroseconds < micros) Thread.SpinWait(20);
        return "done";
    }

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
        var blocked = f.Channel.UnaryAsync(Block, "x").AsTask();
        await blockStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("opened", await f.Channel.UnaryAsync(Open, "x").AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await AssertTakenOverAndServingAsync(f, blocked, "passed", f.Server.Connections.Single());
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
        await AssertTakenOverAndServingAsync(f, caller, "passedb", f.Channel.CurrentConnections.Single());
    }

    /// <summary>The blocked call completed with <paramref name="expected"/>, <paramref name="connection"/>'s read loop was
    /// taken over, and the connection goes on serving on the new loop.</summary>
    private static async Task AssertTakenOverAndServingAsync(ServerFixture f, Task<string> blocked, string expected, FrameConnection connection)
    {
        Assert.Equal(expected, await blocked.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(connection.Takeovers > 0);
        Assert.Equal("after", await f.Channel.UnaryAsync(TestService.Echo, "after"));
    }

    /// <summary>A server with the gate service and a warmed-up connection that is not queueing, and once it queues, stays
    /// queueing for the rest of the test.</summary>
    private static async Task<ServerFixture> StartWarmAsync()
    {
        var f = await ServerFixture.StartAsync(configure: s => s.AddService(GateService(new ManualResetEventSlim(), new TaskCompletionSource())));
        await f.Channel.ConnectAsync();
        Assert.Equal("warm", await f.Channel.UnaryAsync(TestService.Echo, "warm"));
        var (server, _) = Connections(f);
        await UntilNotQueueingAsync(server);
        server.QueueAfterSlowReadTicks = Stopwatch.Frequency * 3600;
        return f;
    }

    [Fact]
    public async Task Adaptive_dispatch_queues_the_work_of_a_connection_after_a_slow_read()
    {
        await using var f = await StartWarmAsync();
        var (server, _) = Connections(f);
        // 1 ms of work, as often as it takes to be slow code: over the 200 µs a handler may spend on the read loop, under
        // the 5 ms after which the sweep takes the loop over (which would queue the work by itself). A run during which
        // another test of this process collected does not count, hence the few more calls it may take.
        for (int i = 0; i < 10 * SlowRunCounter.SlowRunsToQueue && !server.IsQueueingAfterSlowWork; i++)
        {
            Assert.Equal("done", await f.Channel.UnaryAsync(Busy, 1000));
        }
        Assert.True(server.IsQueueingAfterSlowWork);
        int inlineBefore = server.InlineRuns;
        for (int i = 0; i < 5; i++) Assert.Equal("q" + i, await f.Channel.UnaryAsync(TestService.Echo, "q" + i));
        Assert.Equal(inlineBefore, server.InlineRuns);
    }

    [Fact]
    public async Task Runs_slowed_by_a_garbage_collection_do_not_count_as_slow_code()
    {
        await using var f = await StartWarmAsync();
        var (server, _) = Connections(f);
        // The usual queueing period, so that a takeover's ends: a switch to the queue within a batch still shows, as
        // calls that did not run inline.
        server.QueueAfterSlowReadTicks = FrameConnection.DefaultQueueAfterSlowReadTicks;
        const int Calls = 4 * SlowRunCounter.SlowRunsToQueue;
        // A takeover (a run preempted past two sweeps on a loaded machine, the collection included) also queues the
        // connection's work, whatever the slow-run count says: a batch with one is not evidence, and is run again.
        for (int batch = 0; batch < 5; batch++)
        {
            int inlineBefore = server.InlineRuns, takeoversBefore = server.Takeovers;
            // Each run is as slow as in the test above, but a collection happened during it.
            for (int i = 0; i < Calls; i++) Assert.Equal("done", await f.Channel.UnaryAsync(CollectThenBusy, 1000));
            if (server.Takeovers != takeoversBefore)
            {
                await UntilNotQueueingAsync(server);
                continue;
            }
            Assert.False(server.IsQueueingAfterSlowWork);
            Assert.Equal(inlineBefore + Calls, server.InlineRuns);
            return;
        }
        Assert.Fail("every batch had a takeover");
    }

    [Fact]
    public void One_slow_run_is_a_slow_moment_three_within_the_window_are_slow_code()
    {
        var counter = new SlowRunCounter();
        Assert.False(counter.Record(slow: true));
        for (int i = 0; i < 100; i++) Assert.False(counter.Record(slow: false));
        Assert.False(counter.Record(slow: true));
        Assert.True(counter.Record(slow: true));
        // The count starts again after a verdict, and after a window of runs.
        Assert.False(counter.Record(slow: true));
        Assert.False(counter.Record(slow: true));
        for (int i = 0; i < SlowRunCounter.Window; i++) Assert.False(counter.Record(slow: false));
        Assert.False(counter.Record(slow: true));
        Assert.False(counter.Record(slow: true));
        Assert.True(counter.Record(slow: true));
    }

    [Fact]
    public async Task A_call_started_from_a_continuation_on_a_read_loop_goes_out_on_that_connection()
    {
        using var gate = new ManualResetEventSlim();
        await using var f = await ServerFixture.StartAsync(
            client: o =>
            {
                o.ConnectionsPerEndpoint = 2;
                o.CompletionDispatch = DispatchMode.Inline;
            },
            configure: s => s.AddService(GateService(gate, new TaskCompletionSource())));
        // Two calls started together from this thread (no read loop) go round-robin: one per connection.
        var both = await Task.WhenAll(f.Channel.UnaryAsync(Who, "").AsTask(), f.Channel.UnaryAsync(Who, "").AsTask());
        Assert.Equal(2, both.Distinct().Count());
        async Task<List<string>> CallerAsync()
        {
            var seen = new List<string> { await f.Channel.UnaryAsync(Who, "").ConfigureAwait(false) };
            // Each continuation runs on the read loop of the connection that answered, and starts the next call there.
            for (int i = 0; i < 10; i++) seen.Add(await f.Channel.UnaryAsync(Who, "").ConfigureAwait(false));
            return seen;
        }
        var sequence = await CallerAsync();
        Assert.Single(sequence.Distinct());
    }
}
