using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using PolyType;

namespace Meshwork.Cli.Tests;

/// <summary>A request with fields, so the CLI's JSON must become a MessagePack map the server's shape accepts.</summary>
[GenerateShape]
public partial record PriceRequest(string Item, int Quantity);

/// <summary>The reply names the node that answered, so a test sees where the balancer and fail-over sent the call.</summary>
[GenerateShape]
public partial record PriceReply(string Item, long Total, string Node);

/// <summary>The test service the CLI calls: a unary method with records and a server stream.</summary>
internal static class ShopContract
{
    public const string Service = "Shop";

    public static readonly Method<PriceRequest, PriceReply> Price = new(Service, "Price", CallKind.Unary,
        MessageTypes.Shapeable<PriceRequest>(), MessageTypes.Shapeable<PriceReply>(), idempotent: true);

    public static readonly Method<int, string> Count = new(Service, "Count", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());

    public static readonly Method<int, long> Sum = new(Service, "Sum", CallKind.ClientStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<long>());

    public static readonly Method<string, string> Shout = new(Service, "Shout", CallKind.DuplexStreaming, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    public static ServiceDefinition Bind(string node) => new ServiceDefinition(Service)
        .AddUnary(Price, (r, _) => new ValueTask<PriceReply>(new PriceReply(r.Item, r.Quantity * 2L, node)))
        .AddServerStreaming(Count, (n, _) => CountAsync(n, node))
        .AddClientStreaming(Sum, async (items, _) =>
        {
            long total = 0;
            await foreach (var i in items) total += i;
            return total;
        })
        .AddDuplexStreaming(Shout, (words, _) => ShoutAsync(words));

    private static async IAsyncEnumerable<string> ShoutAsync(IAsyncEnumerable<string> words)
    {
        await foreach (var w in words) yield return w.ToUpperInvariant();
    }

    private static async IAsyncEnumerable<string> CountAsync(int n, string node)
    {
        for (int i = 1; i <= n; i++)
        {
            await Task.Yield();
            yield return $"{i} from {node}";
        }
    }

    /// <summary>A server on a free loopback port serving <see cref="Bind"/>.</summary>
    public static async Task<RpcServer> StartAsync(string node)
    {
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: node);
        server.AddService(Bind(node));
        await server.StartAsync();
        return server;
    }
}
