using System.Buffers;
using System.Buffers.Binary;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

public class FramingTests
{
    private static byte[] Encode(FrameHeader header, byte[] body)
    {
        var w = new ArrayBufferWriter<byte>();
        FrameCodec.Write(w, header, body);
        return w.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("orders", "Get")]
    [InlineData("a.service.name.longer.than.thirty.one.bytes", "AMethodNameThatIsAlsoLongerThan31Bytes")]
    [InlineData("订单服务", "查询")]
    public void Names_encoded_once_give_the_same_frame_as_names_encoded_per_request(string service, string method)
    {
        var names = HeaderCodec.EncodeNames(service, method);
        var plain = new FrameHeader { Type = FrameType.Request, RequestId = 7, Service = service, Method = method, TimeoutMicros = 5000, Serializer = 1 };
        var preEncoded = plain with { EncodedNames = names };
        Assert.Equal(Encode(plain, [1, 2, 3]), Encode(preEncoded, [1, 2, 3]));
        Assert.Equal(names, new Method<string, string>(service, method, CallKind.Unary, Serialization.MessageTypes.Plain<string>(), Serialization.MessageTypes.Plain<string>()).EncodedNames);

        var buffer = new ReadOnlySequence<byte>(Encode(preEncoded, [1, 2, 3]));
        Assert.True(FrameCodec.TryRead(ref buffer, 1 << 20, new Utf8StringCache(), out var read, out var body));
        Assert.Equal(service, read.Service);
        Assert.Equal(method, read.Method);
        Assert.Equal(7UL, read.RequestId);
        Assert.Equal(5000, read.TimeoutMicros);
        Assert.Equal(3, body.Length);
    }

    [Fact]
    public void Header_and_body_round_trip()
    {
        var md = new Metadata { { "trace-id", "abc" }, { "ключ", "значение" } };
        var header = new FrameHeader
        {
            Type = FrameType.Request, RequestId = ulong.MaxValue - 1, Service = "Svc", Method = new string('m', 300),
            TimeoutMicros = 1_500_000, Metadata = md, Serializer = 2, Compression = 1, Kind = CallKind.DuplexStreaming, Window = 70000,
        };
        var bytes = Encode(header, [1, 2, 3]);
        Assert.Equal((byte)'M', bytes[0]);
        Assert.Equal((byte)'W', bytes[1]);
        Assert.Equal(FrameLayout.Version, bytes[2]);
        Assert.Equal(bytes.Length - 8, (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)));

        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, new Utf8StringCache(), out var read, out var body));
        Assert.True(seq.IsEmpty);
        Assert.Equal(header.RequestId, read.RequestId);
        Assert.Equal("Svc", read.Service);
        Assert.Equal(header.Method, read.Method);
        Assert.Equal(1_500_000, read.TimeoutMicros);
        Assert.Equal("значение", read.Metadata!["ключ"]);
        Assert.Equal(2, read.Serializer);
        Assert.Equal(1, read.Compression);
        Assert.Equal(CallKind.DuplexStreaming, read.Kind);
        Assert.Equal(70000u, read.Window);
        Assert.Equal(new byte[] { 1, 2, 3 }, body.ToArray());
    }

    [Fact]
    public void Response_status_round_trips_and_flags_survive()
    {
        var bytes = Encode(new FrameHeader { Type = FrameType.Heartbeat, Flags = FrameFlags.Ack, Status = StatusCode.Unavailable, StatusMessage = "bye" }, []);
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var h, out _));
        Assert.Equal(FrameType.Heartbeat, h.Type);
        Assert.Equal(FrameFlags.Ack, h.Flags);
        Assert.Equal(StatusCode.Unavailable, h.Status);
        Assert.Equal("bye", h.StatusMessage);
    }

    [Fact]
    public void Frames_split_across_segments_and_partial_reads_are_handled()
    {
        var one = Encode(new FrameHeader { Type = FrameType.Request, RequestId = 7, Service = "S", Method = "M" }, new byte[5000]);
        var two = Encode(new FrameHeader { Type = FrameType.Cancel, RequestId = 7 }, []);
        var all = one.Concat(two).ToArray();
        for (int cut = 1; cut < all.Length; cut += 997)
        {
            var seq = Sequences.Split(all, cut);
            Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var a, out var body));
            Assert.Equal(5000, body.Length);
            Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var b, out _));
            Assert.Equal(FrameType.Cancel, b.Type);
            Assert.False(FrameCodec.TryRead(ref seq, 1 << 20, null, out _, out _));
        }
        // Any strict prefix is "need more data", never an error.
        for (int len = 0; len < one.Length; len += 101)
        {
            var partial = new ReadOnlySequence<byte>(one, 0, len);
            Assert.False(FrameCodec.TryRead(ref partial, 1 << 20, null, out _, out _));
        }
    }

    [Fact]
    public void Bad_magic_is_rejected_immediately()
    {
        var seq = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray());
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref seq, 1 << 20, null, out _, out _));
        Assert.Contains("bad magic", ex.Message);
        var one = new ReadOnlySequence<byte>(new byte[] { 0x16 });
        Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref one, 1 << 20, null, out _, out _));
    }

    [Fact]
    public void Unsupported_version_is_rejected()
    {
        var bytes = Encode(new FrameHeader { Type = FrameType.Heartbeat }, []);
        bytes[2] = 9;
        var seq = new ReadOnlySequence<byte>(bytes);
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref seq, 1 << 20, null, out _, out _));
        Assert.Contains("version 9", ex.Message);
    }

    [Fact]
    public void Oversized_frame_is_rejected_from_its_prefix_alone()
    {
        var prefix = new byte[12];
        prefix[0] = (byte)'M'; prefix[1] = (byte)'W'; prefix[2] = 1; prefix[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(4), 100_000_000);
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(8), 10);
        var seq = new ReadOnlySequence<byte>(prefix);
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref seq, 4 * 1024 * 1024, null, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("4194304", ex.Message);
    }

    [Fact]
    public void Header_length_larger_than_frame_is_rejected()
    {
        var prefix = new byte[12];
        prefix[0] = (byte)'M'; prefix[1] = (byte)'W'; prefix[2] = 1; prefix[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(4), 10);
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(8), 50);
        var seq = new ReadOnlySequence<byte>(prefix);
        Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref seq, 1 << 20, null, out _, out _));
    }

    [Fact]
    public void Garbled_headers_never_escape_as_anything_but_ProtocolException()
    {
        var rng = new Random(1234);
        var valid = Encode(new FrameHeader { Type = FrameType.Request, RequestId = 1, Service = "S", Method = "M", Metadata = new Metadata { { "a", "b" } } }, [9]);
        int headerLength = (int)BinaryPrimitives.ReadUInt32BigEndian(valid.AsSpan(8));
        for (int i = 0; i < 5000; i++)
        {
            var copy = (byte[])valid.Clone();
            int flips = rng.Next(1, 4);
            for (int k = 0; k < flips; k++) copy[12 + rng.Next(headerLength)] = (byte)rng.Next(256);
            var seq = new ReadOnlySequence<byte>(copy);
            try
            {
                FrameCodec.TryRead(ref seq, 1 << 20, new Utf8StringCache(4), out _, out _);
            }
            catch (ProtocolException)
            {
            }
        }
        // Entirely random headers too.
        for (int i = 0; i < 5000; i++)
        {
            int len = rng.Next(0, 64);
            var frame = new byte[12 + len + 1];
            frame[0] = (byte)'M'; frame[1] = (byte)'W'; frame[2] = 1; frame[3] = (byte)rng.Next(1, 11);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)(4 + len + 1));
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), (uint)len);
            rng.NextBytes(frame.AsSpan(12, len));
            var seq = new ReadOnlySequence<byte>(frame);
            try
            {
                FrameCodec.TryRead(ref seq, 1 << 20, null, out _, out _);
            }
            catch (ProtocolException)
            {
            }
        }
    }

    [Fact]
    public void Unknown_header_keys_are_skipped_for_forward_compatibility()
    {
        // map{0: 5, 99: [1, "x", {"k": nil}], 1: "S"}
        byte[] header = [0x83, 0x00, 0x05, 0x63, 0x93, 0x01, 0xA1, (byte)'x', 0x81, 0xA1, (byte)'k', 0xC0, 0x01, 0xA1, (byte)'S'];
        var frame = new byte[12 + header.Length];
        frame[0] = (byte)'M'; frame[1] = (byte)'W'; frame[2] = 1; frame[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)(4 + header.Length));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), (uint)header.Length);
        header.CopyTo(frame, 12);
        var seq = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameCodec.TryRead(ref seq, 1 << 20, null, out var h, out _));
        Assert.Equal(5ul, h.RequestId);
        Assert.Equal("S", h.Service);
    }

    [Fact]
    public void The_name_cache_gives_one_string_per_name_while_the_names_of_requests_change()
    {
        var cache = new Utf8StringCache();
        // The first string of each name is the one returned from then on (dispatch finds a method again by reference).
        string alpha = cache.GetOrAdd("Alpha"u8, isMethod: false), beta = cache.GetOrAdd("Beta"u8, isMethod: false);
        string get = cache.GetOrAdd("Get"u8, isMethod: true), put = cache.GetOrAdd("Put"u8, isMethod: true);
        Assert.Equal(["Alpha", "Beta", "Get", "Put"], new[] { alpha, beta, get, put });
        for (int i = 0; i < 4; i++)
        {
            Assert.Same(alpha, cache.GetOrAdd("Alpha"u8, isMethod: false));
            Assert.Same(alpha, cache.GetOrAdd("Alpha"u8, isMethod: false));
            Assert.Same(get, cache.GetOrAdd("Get"u8, isMethod: true));
            Assert.Same(beta, cache.GetOrAdd("Beta"u8, isMethod: false));
            Assert.Same(put, cache.GetOrAdd("Put"u8, isMethod: true));
            Assert.Same(put, cache.GetOrAdd("Put"u8, isMethod: true));
            // A name first seen as the other kind is the same string.
            Assert.Same(get, cache.GetOrAdd("Get"u8, isMethod: false));
        }
        Assert.Throws<ProtocolException>(() => cache.GetOrAdd([0xC3, 0x28], isMethod: true));
    }
}
