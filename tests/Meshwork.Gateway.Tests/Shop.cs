using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using PolyType;

namespace Meshwork.Gateway.Tests;

[GenerateShape]
public partial record Order(string Item, int Quantity);

[GenerateShape]
public partial record Receipt(string Id, string Item, int Quantity, string Server);

[GenerateShape]
public partial record CountRequest(int To, int FailAt = 0);

[GenerateShape]
public partial record Tick(int N);

/// <summary>The test contract served behind the gateway.</summary>
[RpcService("shop")]
public interface IShop
{
    [RpcMethod(Idempotent = true)]
    ValueTask<Receipt> PlaceAsync(Order order, CancellationToken ct = default);

    IAsyncEnumerable<Tick> CountAsync(CountRequest request, CancellationToken ct = default);

    [RpcMethod(OneWay = true)]
    Task NoteAsync(string line);
}

/// <summary>JSON metadata for the gateway (source-generated, as a NativeAOT app would have).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Receipt))]
[JsonSerializable(typeof(CountRequest))]
[JsonSerializable(typeof(Tick))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Empty))]
internal sealed partial class ShopJson : JsonSerializerContext;

internal sealed class ShopService(string name) : IShop
{
    public TaskCompletionSource<string> Noted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask<Receipt> PlaceAsync(Order order, CancellationToken ct)
    {
        if (order.Quantity <= 0) throw new RpcException(StatusCode.InvalidArgument, $"quantity must be positive (was {order.Quantity})");
        if (order.Item == "unobtainium") throw new RpcException(StatusCode.NotFound, "no such item: unobtainium");
        return new(new Receipt(Guid.NewGuid().ToString("n")[..8], order.Item, order.Quantity, name));
    }

    public async IAsyncEnumerable<Tick> CountAsync(CountRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (request.To < 0) throw new RpcException(StatusCode.OutOfRange, "cannot count to a negative number");
        for (int i = 1; i <= request.To; i++)
        {
            if (i == request.FailAt) throw new RpcException(StatusCode.Unavailable, $"failed at {i}");
            await Task.Yield();
            yield return new Tick(i);
        }
    }

    public Task NoteAsync(string line)
    {
        Noted.TrySetResult(line);
        return Task.CompletedTask;
    }
}

/// <summary>Keeps the request headers of every call the server receives.</summary>
internal sealed class HeaderCapture : IServerMiddleware
{
    public System.Collections.Concurrent.ConcurrentQueue<Metadata?> Seen { get; } = new();

    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        Seen.Enqueue(context.RequestHeaders);
        return next(context);
    }
}
