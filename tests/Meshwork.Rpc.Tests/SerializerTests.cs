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

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    public void Byte_arrays_are_written_and_read_as_MessagePack_bin_of_every_length_class(int length)
    {
        byte[]? payload = length < 0 ? null : Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var type = MessageTypes.Plain<byte[]?>();

        // Written by hand, the bytes are what MessagePackWriter writes...
        var ours = new System.Buffers.ArrayBufferWriter<byte>();
        MessagePackRpcSerializer.Default.Serialize(ours, payload, type);
        var reference = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new Nerdbank.MessagePack.MessagePackWriter(reference);
        writer.Write(payload);
        writer.Flush();
        Assert.Equal(reference.WrittenSpan.ToArray(), ours.WrittenSpan.ToArray());

        // ...and read back whole, from one segment and from several.
        var single = new System.Buffers.ReadOnlySequence<byte>(ours.WrittenMemory);
        Assert.Equal(payload, MessagePackRpcSerializer.Default.Deserialize(single, type));
        Assert.Equal(payload, MessagePackRpcSerializer.Default.Deserialize(Sequences.Split(ours.WrittenMemory, ours.WrittenCount / 2), type));
    }

    private static readonly Method<byte[]?, byte[]?> BytesEcho = new("Ser", "Bytes", CallKind.Unary, MessageTypes.Plain<byte[]?>(), MessageTypes.Plain<byte[]?>());

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(1_048_579)]
    public async Task Byte_arrays_on_each_side_of_the_bin_header_boundaries_round_trip_through_a_call(int length)
    {
        byte[]? payload = length < 0 ? null : Enumerable.Range(0, length).Select(i => (byte)(i * 7 ^ i >> 8)).ToArray();
        var service = new ServiceDefinition("Ser").AddUnary(BytesEcho, (p, _) => new ValueTask<byte[]?>(p));
        await using var f = await ServerFixture.StartAsync(configure: s => s.AddService(service));
        // The request is written by the client's hand framing and read by the server's, the reply the other way round.
        Assert.Equal(payload, await f.Channel.UnaryAsync(BytesEcho, payload));
    }

    [Theory]
    [InlineData(new byte[] { 0xC4, 0x03 }, 3)]                   // bin 8, as MessagePackWriter writes 3 bytes
    [InlineData(new byte[] { 0xC5, 0x00, 0x03 }, 3)]             // bin 16 for a length bin 8 would hold
    [InlineData(new byte[] { 0xC6, 0x00, 0x00, 0x00, 0x03 }, 3)] // bin 32 for the same
    [InlineData(new byte[] { 0xC6, 0x00, 0x00, 0x01, 0x2C }, 300)]
    [InlineData(new byte[] { 0xC5, 0x00, 0x00 }, 0)]
    public void Byte_arrays_from_other_MessagePack_writers_are_read_whatever_bin_header_they_chose(byte[] header, int length)
    {
        // The MessagePack spec lets a writer use a wider bin header than it needs; the hand-framed reader takes any.
        byte[] payload = Enumerable.Range(0, length).Select(i => (byte)(255 - i)).ToArray();
        byte[] body = [.. header, .. payload];
        var type = MessageTypes.Plain<byte[]>();
        Assert.Equal(payload, MessagePackRpcSerializer.Default.Deserialize(new System.Buffers.ReadOnlySequence<byte>(body), type));
        Assert.Equal(payload, MessagePackRpcSerializer.Default.Deserialize(Sequences.Split(body, body.Length / 2), type));

        // And what it writes, MessagePack's own reader reads.
        var written = new System.Buffers.ArrayBufferWriter<byte>();
        MessagePackRpcSerializer.Default.Serialize(written, payload, type);
        var reader = new Nerdbank.MessagePack.MessagePackReader(new System.Buffers.ReadOnlySequence<byte>(written.WrittenMemory));
        System.Buffers.ReadOnlySequence<byte>? read = reader.ReadBytes();
        Assert.Equal(payload, System.Buffers.BuffersExtensions.ToArray(read!.Value));
        Assert.True(reader.End);
    }

    [Fact]
    public void A_truncated_byte_array_is_InvalidArgument()
    {
        var written = new System.Buffers.ArrayBufferWriter<byte>();
        MessagePackRpcSerializer.Default.Serialize(written, new byte[300], MessageTypes.Plain<byte[]>());
        var truncated = new System.Buffers.ReadOnlySequence<byte>(written.WrittenMemory[..^1]);
        var ex = Assert.Throws<RpcException>(() => MessagePackRpcSerializer.Default.Deserialize(truncated, MessageTypes.Plain<byte[]>()));
        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
        Assert.Contains("Byte[]", ex.Message);
    }
}
