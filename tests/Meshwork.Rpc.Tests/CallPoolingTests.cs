using System.Runtime.CompilerServices;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The server reuses the call objects and contexts of unary calls: reuse must really happen, and a reused context must
/// carry nothing of the call before it (items, trailers, headers, cancellation).
/// </summary>
public class CallPoolingTests
{
    private static readonly Method<string, string> Probe = new("Pool", "Probe", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private sealed class Seen
    {
        public readonly HashSet<int> Contexts = new();
        public readonly List<string> Leaks = new();
        public int Waiting;
    }

    private static void AddProbe(RpcServer server, Seen seen) => server.AddService(new ServiceDefinition("Pool").AddUnary(Probe, async (mode, ctx) =>
    {
        lock (seen)
        {
            seen.Contexts.Add(RuntimeHelpers.GetHashCode(ctx));
            if (ctx.Items.Count != 0) seen.Leaks.Add($"items {string.Join(",", ctx.Items.Keys)}");
            if (ctx.RequestHeaders is not null && mode != "headers") seen.Leaks.Add("request headers of an earlier call");
            if (ctx.User is not null) seen.Leaks.Add("the caller identity of an earlier call");
            if (ctx.CancellationToken.IsCancellationRequested || ctx.CancellationReason != StatusCode.OK) seen.Leaks.Add("cancellation of an earlier call");
            if (ctx.ResponseTrailers.Count != 0) seen.Leaks.Add("trailers of an earlier call");
        }
        ctx.Items["mark"] = mode;
        ctx.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity("probe"));
        ctx.ResponseTrailers.Add("mark", mode);
        if (mode == "wait")
        {
            Interlocked.Increment(ref seen.Waiting);
            // Parks until the client cancels: the token source of this context ends cancelled.
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        }
        return mode;
    }));

    [Fact]
    public async Task Reused_contexts_carry_nothing_over_from_earlier_calls()
    {
        var seen = new Seen();
        await using var f = await ServerFixture.StartAsync(configure: s => AddProbe(s, seen));
        for (int round = 0; round < 20; round++)
        {
            Assert.Equal("plain", await f.Channel.UnaryAsync(Probe, "plain"));
            Assert.Equal("headers", await f.Channel.UnaryAsync(Probe, "headers", new CallOptions { Headers = new Metadata { { "k", "v" } } }));
            using var cancel = new CancellationTokenSource();
            var waiting = f.Channel.UnaryAsync(Probe, "wait", new CallOptions(cancel.Token)).AsTask();
            int expected = round + 1;
            await Eventually.TrueAsync(() => Volatile.Read(ref seen.Waiting) == expected, "the waiting call reached the handler");
            cancel.Cancel();
            var ex = await Assert.ThrowsAsync<RpcException>(() => waiting);
            Assert.Equal(StatusCode.Cancelled, ex.Status);
        }
        // The cancelled handler may still be finishing when the next calls start; once it has, its context is reused too.
        for (int i = 0; i < 20; i++) Assert.Equal("plain", await f.Channel.UnaryAsync(Probe, "plain"));
        lock (seen)
        {
            Assert.Empty(seen.Leaks);
            // 80 sequential calls; without reuse every one would bring a new context.
            Assert.True(seen.Contexts.Count <= 10, $"{seen.Contexts.Count} distinct contexts for 80 sequential calls: contexts are not reused");
        }
    }
}

/// <summary>Runs alone: it measures the allocations of the whole process, which tests running beside it would add to.</summary>
[CollectionDefinition(nameof(UnaryAllocationTests), DisableParallelization = true)]
public sealed class UnaryAllocationTestsCollection;

/// <summary>What a unary call allocates, client and server together, in one process over loopback.</summary>
[Collection(nameof(UnaryAllocationTests))]
public class UnaryAllocationTests
{
    private static readonly Method<byte[], byte[]> Echo = new("Alloc", "Echo", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());

    [Fact]
    public async Task A_unary_call_allocates_its_messages_and_at_most_100_bytes_more_on_each_side()
    {
        // The handler takes the call's token as a generated dispatcher does (it passes context.CancellationToken to the
        // implementation), so the token source is part of what is measured.
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(new ServiceDefinition("Alloc")
            .AddUnary(Echo, static (p, ctx) => ctx.CancellationToken.IsCancellationRequested ? throw new OperationCanceledException() : new ValueTask<byte[]>(p))));
        var payload = new byte[100];
        const int Loops = 8;
        async Task RunAsync(int calls)
        {
            for (int i = 0; i < calls; i++)
            {
                var reply = await f.Channel.UnaryAsync(Echo, payload);
                // Not Assert.Equal: it allocates, and this loop is what is measured.
                if (reply.Length != payload.Length) throw new InvalidOperationException("bad echo");
            }
        }
        // Warm-up: connection, pools filled, code tiered up.
        await Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(() => RunAsync(2_000))));

        const int CallsPerLoop = 5_000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(() => RunAsync(CallsPerLoop))));
        long perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / (Loops * CallsPerLoop);

        // The messages are a 100-byte array each way: 128 bytes with the array's header, received by the server
        // (request) and by the client (reply).
        const long Messages = 2 * 128;
        Assert.True(perCall <= Messages + 2 * 100, $"{perCall} bytes allocated per call, client and server together; the messages are {Messages}");
    }
}
