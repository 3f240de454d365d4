using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Cli.Demo;

/// <summary>
/// The demo's service, served by every node, with one method per call kind: a greeting (unary), a countdown (server
/// streaming), a sum (client streaming), a notification (one-way) with a unary counter to check delivery, and an echo
/// chat (duplex streaming).
/// </summary>
internal static class DemoContract
{
    public const string Service = "Demo";

    /// <summary>The version every demo node announces to discovery.</summary>
    public static readonly SemanticVersion Version = new(1, 0, 0);

    /// <summary>Idempotent: a greeting may be sent twice, so the governed client fails it over to another node when one dies.</summary>
    public static readonly Method<string, string> Greet = new(Service, "Greet", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);
    public static readonly Method<int, string> Countdown = new(Service, "Countdown", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());
    public static readonly Method<int, long> Sum = new(Service, "Sum", CallKind.ClientStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<long>());
    public static readonly Method<string, Empty> Notify = new(Service, "Notify", CallKind.OneWay, MessageTypes.Plain<string>(), MessageTypes.Plain<Empty>());

    /// <summary>How many <see cref="Notify"/> messages this node has received (one-way calls have no reply to count).</summary>
    public static readonly Method<string, long> Notified = new(Service, "Notified", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<long>(), idempotent: true);

    public static readonly Method<string, string> Chat = new(Service, "Chat", CallKind.DuplexStreaming, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    public static ServiceDefinition Bind(string node)
    {
        var notified = new NotificationCount();
        return new ServiceDefinition(Service)
            .AddUnary(Greet, (name, ctx) => new ValueTask<string>($"hello {name}, from {node}"))
            .AddServerStreaming(Countdown, (n, ctx) => CountdownAsync(node, n, ctx.CancellationToken))
            .AddClientStreaming(Sum, async (items, ctx) =>
            {
                long total = 0;
                await foreach (var i in items) total += i;
                return total;
            })
            .AddOneWay(Notify, (message, ctx) =>
            {
                Interlocked.Increment(ref notified.Value);
                return ValueTask.CompletedTask;
            })
            .AddUnary(Notified, (_, ctx) => new ValueTask<long>(Interlocked.Read(ref notified.Value)))
            .AddDuplexStreaming(Chat, (words, ctx) => EchoAsync(node, words, ctx.CancellationToken));
    }

    private sealed class NotificationCount
    {
        public long Value;
    }

    private static async IAsyncEnumerable<string> CountdownAsync(string node, int n, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = n; i > 0; i--)
        {
            await Task.Delay(20, ct);
            yield return $"{node}: {i}";
        }
    }

    /// <summary>Answers each word as it arrives, so the client can hold a conversation on one call.</summary>
    private static async IAsyncEnumerable<string> EchoAsync(string node, IAsyncEnumerable<string> words, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var word in words.WithCancellation(ct)) yield return $"{word.ToUpperInvariant()} (from {node})";
    }
}
