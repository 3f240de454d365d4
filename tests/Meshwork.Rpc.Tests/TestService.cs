using System.Runtime.CompilerServices;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>A hand-built service covering every call kind, so core tests do not depend on the generator.</summary>
internal static class TestService
{
    public const string Name = "Test";

    public static readonly Method<string, string> Echo = new(Name, "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<byte[], int> Size = new(Name, "Size", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<int>());
    public static readonly Method<int, byte[]> Blob = new(Name, "Blob", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<byte[]>());
    public static readonly Method<int, string> Sleep = new(Name, "Sleep", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Fail = new(Name, "Fail", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Headers = new(Name, "Headers", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, Empty> Notify = new(Name, "Notify", CallKind.OneWay, MessageTypes.Plain<string>(), MessageTypes.Plain<Empty>());
    public static readonly Method<int, int> Count = new(Name, "Count", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());
    public static readonly Method<int, long> Sum = new(Name, "Sum", CallKind.ClientStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<long>());
    public static readonly Method<string, string> Chat = new(Name, "Chat", CallKind.DuplexStreaming, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    public sealed class State
    {
        public readonly TaskCompletionSource<string> Notified = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<StatusCode> SleepCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Set when a Sleep handler starts: a call counted by the server may still be refused before it runs.</summary>
        public readonly TaskCompletionSource SleepStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int CountProduced;
    }

    public static ServiceDefinition Build(State state) => new ServiceDefinition(Name)
        .AddUnary(Echo, (s, ctx) => new ValueTask<string>(s))
        .AddUnary(Size, (b, ctx) => new ValueTask<int>(b.Length))
        .AddUnary(Blob, (n, ctx) => new ValueTask<byte[]>(new byte[n]))
        .AddUnary(Sleep, async (ms, ctx) =>
        {
            state.SleepStarted.TrySetResult();
            try
            {
                await Task.Delay(ms, ctx.CancellationToken);
                return "slept";
            }
            catch (OperationCanceledException)
            {
                state.SleepCancelled.TrySetResult(ctx.CancellationReason);
                throw;
            }
        })
        .AddUnary(Fail, (kind, ctx) => kind switch
        {
            "rpc" => throw new RpcException(StatusCode.PermissionDenied, "not for you"),
            "trailers" => ThrowWithTrailers(ctx),
            _ => throw new InvalidOperationException("secret internal detail"),
        })
        .AddUnary(Headers, (key, ctx) => new ValueTask<string>(ctx.RequestHeaders?.Get(key) ?? "<none>"))
        .AddOneWay(Notify, (s, ctx) =>
        {
            state.Notified.TrySetResult(s);
            return ValueTask.CompletedTask;
        })
        .AddServerStreaming(Count, (n, ctx) => CountAsync(n, state, ctx.CancellationToken))
        .AddClientStreaming(Sum, async (items, ctx) =>
        {
            long sum = 0;
            await foreach (var i in items) sum += i;
            return sum;
        })
        .AddDuplexStreaming(Chat, (items, ctx) => ChatAsync(items));

    private static ValueTask<string> ThrowWithTrailers(ServerCallContext ctx)
    {
        ctx.ResponseTrailers.Add("retry-after", "5");
        throw new RpcException(StatusCode.Unavailable, "busy");
    }

    private static async IAsyncEnumerable<int> CountAsync(int n, State state, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 0; i < n; i++)
        {
            ct.ThrowIfCancellationRequested();
            Interlocked.Increment(ref state.CountProduced);
            yield return i;
        }
        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<string> ChatAsync(IAsyncEnumerable<string> items)
    {
        await foreach (var s in items)
        {
            yield return "re: " + s;
        }
    }
}
