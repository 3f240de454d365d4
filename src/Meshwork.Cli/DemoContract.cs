using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Cli;

/// <summary>The demo's service: a greeting, a countdown stream and a client-streamed sum, served by every node.</summary>
internal static class DemoContract
{
    public const string Service = "Demo";
    public static readonly Method<string, string> Greet = new(Service, "Greet", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);
    public static readonly Method<int, string> Countdown = new(Service, "Countdown", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());
    public static readonly Method<int, long> Sum = new(Service, "Sum", CallKind.ClientStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<long>());

    public static ServiceDefinition Bind(string node) => new ServiceDefinition(Service)
        .AddUnary(Greet, (name, ctx) => new ValueTask<string>($"hello {name}, from {node}"))
        .AddServerStreaming(Countdown, (n, ctx) => CountdownAsync(node, n, ctx.CancellationToken))
        .AddClientStreaming(Sum, async (items, ctx) =>
        {
            long total = 0;
            await foreach (var i in items) total += i;
            return total;
        });

    private static async IAsyncEnumerable<string> CountdownAsync(string node, int n, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = n; i > 0; i--)
        {
            await Task.Delay(20, ct);
            yield return $"{node}: {i}";
        }
    }
}
