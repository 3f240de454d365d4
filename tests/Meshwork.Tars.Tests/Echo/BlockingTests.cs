namespace Meshwork.Tars.Tests.Echo;

/// <summary>
/// Calls start (server) and replies complete (client) on bounded run queues, not one thread-pool work item each; code
/// that blocks a queue's threads must not stall the calls queued behind it.
/// </summary>
public sealed class BlockingTests
{
    private const string ObjectName = "MeshTest.BlockingServer.BlockObj";

    [Fact]
    public async Task Handlers_that_block_their_threads_do_not_stop_later_calls_from_starting()
    {
        using var gate = new ManualResetEventSlim();
        var definition = new TarsServiceDefinition(ObjectName)
            .Add("block", _ =>
            {
                gate.Wait(TimeSpan.FromSeconds(30)); // blocks its thread, as synchronous handler code may
                return ValueTask.CompletedTask;
            })
            .Add("release", _ =>
            {
                gate.Set();
                return ValueTask.CompletedTask;
            });
        await using var server = new TarsServer().AddService(definition);
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        await using var channel = TarsChannel.ForProxy($"{ObjectName}@{endpoint}");
        var client = new EchoClient(channel, ObjectName);

        int blockers = Environment.ProcessorCount * 2;
        var blocked = Enumerable.Range(0, blockers).Select(_ => client.CallAsync("block")).ToArray();
        await Eventually.TrueAsync(() => server.InFlight == blockers, "every blocking call is in flight");
        await client.CallAsync("release").WaitAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAll(blocked).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(gate.IsSet);
    }

    [Fact]
    public async Task Continuations_that_block_on_other_calls_do_not_stall_the_connection()
    {
        var service = new EchoService();
        await using var server = new TarsServer().AddService(service.Definition(ObjectName));
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        await using var channel = TarsChannel.ForProxy($"{ObjectName}@{endpoint}");
        var client = new EchoClient(channel, ObjectName);

        // Each continuation runs on a reply-completion thread and waits synchronously for another call's reply, which
        // must complete on another thread: more of them than the queue has threads at first.
        var callers = Enumerable.Range(0, Environment.ProcessorCount * 2).Select(i => Task.Run(async () =>
        {
            Assert.Equal("a" + i, await client.EchoAsync("a" + i).ConfigureAwait(false));
            return client.EchoAsync("b" + i).GetAwaiter().GetResult();
        })).ToArray();
        var results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, callers.Length).Select(i => "b" + i), results);
    }
}
