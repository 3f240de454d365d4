using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using PolyType;

namespace Meshwork.Rpc.Tests;

[GenerateShape]
public partial record Order(string Id, int Quantity, List<string> Tags);

[JsonSerializable(typeof(Order))]
internal partial class TestJsonContext : JsonSerializerContext;

public class SerializerTests
{
    private static readonly Method<Order, Order> ShapedEcho = new("Ser", "Order", CallKind.Unary, MessageTypes.Shapeable<Order>(), MessageTypes.Shapeable<Order>());
    private static readonly Method<StringValue, Timestamp> Proto = new("Ser", "Proto", CallKind.Unary, MessageTypes.Protobuf<StringValue>(), MessageTypes.Protobuf<Timestamp>());

    private static ServiceDefinition Build() => new ServiceDefinition("Ser")
        .AddUnary(ShapedEcho, (o, _) => new ValueTask<Order>(o with { Quantity = o.Quantity + 1 }))
        .AddUnary(Proto, (s, _) => new ValueTask<Timestamp>(new Timestamp { Seconds = s.Value.Length }));

    [Fact]
    public async Task MessagePack_with_source_generated_shapes()
    {
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(Build()));
        var reply = await f.Channel.UnaryAsync(ShapedEcho, new Order("o-1", 2, ["a", "b"]));
        Assert.Equal("o-1", reply.Id);
        Assert.Equal(3, reply.Quantity);
        Assert.Equal(new[] { "a", "b" }, reply.Tags);
    }

    [Fact]
    public async Task Json_serializer_is_used_end_to_end_and_the_server_answers_in_kind()
    {
        var json = new JsonRpcSerializer(new JsonSerializerOptions { TypeInfoResolver = TestJsonContext.Default });
        await using var f = await ServerFixture.StartAsync(
            server: o => o.Serializers.Add(json),
            client: o => o.Serializers = new SerializerRegistry(json),
            configure: s => s.AddService(Build()));
        var reply = await f.Channel.UnaryAsync(ShapedEcho, new Order("j", 1, []));
        Assert.Equal(2, reply.Quantity);
    }

    [Fact]
    public async Task Protobuf_messages_round_trip()
    {
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(Build()));
        var reply = await f.Channel.UnaryAsync(Proto, new StringValue { Value = "12345" });
        Assert.Equal(5, reply.Seconds);
    }

    [Fact]
    public async Task Serializer_unknown_to_the_server_is_Unimplemented()
    {
        var json = new JsonRpcSerializer(new JsonSerializerOptions { TypeInfoResolver = TestJsonContext.Default });
        await using var f = await ServerFixture.StartAsync(client: o => o.Serializers = new SerializerRegistry(json), configure: s => s.AddService(Build()));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(ShapedEcho, new Order("j", 1, [])));
        Assert.Equal(StatusCode.Unimplemented, ex.Status);
        Assert.Contains("serializer id 2", ex.Message);
    }

    [Fact]
    public async Task Undecodable_request_is_InvalidArgument()
    {
        // The client sends a string where the server expects an Order.
        var liar = new Method<string, Order>("Ser", "Order", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Shapeable<Order>());
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(Build()));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(liar, "not an order"));
        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
        Assert.Contains("Order", ex.Message);
    }

    [Fact]
    public void Type_without_shape_gets_a_clear_error()
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        var ex = Assert.Throws<RpcException>(() => MessagePackRpcSerializer.Default.Serialize(w, new Unshaped(), MessageTypes.Plain<Unshaped>()));
        Assert.Contains("GenerateShape", ex.Message);
    }

    public sealed class Unshaped;
}
