using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Server handlers and client completions run on a bounded number of drainers per connection (see RunQueue): code that
/// blocks on them must still let the calls queued behind it run, or blocking handlers and sync-over-async callers
/// would deadlock.
/// </summary>
public class RunQueueTests
{
    private static readonly Method<string, string> Block = new("Gate", "Block", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Open = new("Gate", "Open", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    [Fact]
    public async Task Handlers_that_block_do_not_starve_the_calls_queued_behind_them()
    {
        using var gate = new ManualResetEventSlim();
        var service = new ServiceDefinition("Gate")
            // Blocks its thread (synchronous wait) until a later call opens the gate; bounded so a failure cannot hang the run.
            .AddUnary(Block, (s, _) => new ValueTask<string>(gate.Wait(TimeSpan.FromSeconds(60)) ? "passed" : "timed out"))
            .AddUnary(Open, (s, _) =>
            {
                gate.Set();
                return new ValueTask<string>("opened");
            });
        // Queued: the handlers run on the server's drainers, whose rescue is what this test is about (on the read loop a
        // blocked handler is rescued by a takeover instead: DispatchTests).
        await using var f = await ServerFixture.StartAsync(server: o => o.HandlerDispatch = DispatchMode.Queued, configure: s => s.AddService(service));
        await f.Channel.ConnectAsync();
        // More blocking handlers than a connection has drainers, then the call that unblocks them all.
        var blocked = Enumerable.Range(0, Environment.ProcessorCount + 2).Select(_ => f.Channel.UnaryAsync(Block, "x").AsTask()).ToList();
        var open = f.Channel.UnaryAsync(Open, "x").AsTask();
        Assert.Equal("opened", await open.WaitAsync(TimeSpan.FromSeconds(45)));
        foreach (var b in blocked) Assert.Equal("passed", await b.WaitAsync(TimeSpan.FromSeconds(45)));
    }

    [Fact]
    public async Task Callers_that_block_on_another_call_inside_a_continuation_still_complete()
    {
        // Queued: the continuations run on the channel's completion drainers (see DispatchTests for the read loop).
        await using var f = await ServerFixture.StartAsync(client: o => o.CompletionDispatch = DispatchMode.Queued);
        await f.Channel.ConnectAsync();
        // Each caller's continuation after its first call runs on a completion drainer and blocks there on a second
        // call (sync over async), whose own completion needs a drainer: with more such callers than drainers the
        // completions queued behind them must still run. The second request is queued inside the drainer's write batch
        // (WriteBatch), which the blocked drainer never ends: only the sweep's rescue of its deferred pump sends it.
        async Task<string> CallerAsync(int i)
        {
            var first = await f.Channel.UnaryAsync(TestService.Echo, "a" + i);
            var second = f.Channel.UnaryAsync(TestService.Echo, "b" + i).AsTask().GetAwaiter().GetResult();
            return first + second;
        }
        var callers = Enumerable.Range(0, Environment.ProcessorCount * 4).Select(CallerAsync).ToList();
        for (int i = 0; i < callers.Count; i++)
        {
            Assert.Equal($"a{i}b{i}", await callers[i].WaitAsync(TimeSpan.FromSeconds(45)));
        }
    }
}
