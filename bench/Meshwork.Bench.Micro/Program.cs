using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

// Micro-benchmarks of the per-frame work: header encode/decode and body codecs.
// Run: dotnet run -c Release --project bench/Meshwork.Bench.Micro -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(FramingBenchmarks).Assembly).Run(args);

[MemoryDiagnoser]
public class FramingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private readonly Utf8StringCache _names = new();
    private byte[] _frame = [];
    private readonly byte[] _body = new byte[100];
    private FrameHeader _request;

    [GlobalSetup]
    public void Setup()
    {
        _request = new FrameHeader { Type = FrameType.Request, RequestId = 123456, Service = "Bench", Method = "Echo", TimeoutMicros = 1_000_000, Serializer = 1 };
        FrameCodec.Write(_writer, _request, _body);
        _frame = _writer.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int WriteRequestFrame()
    {
        _writer.ResetWrittenCount();
        FrameCodec.Write(_writer, _request, _body);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public ulong ReadRequestFrame()
    {
        var seq = new ReadOnlySequence<byte>(_frame);
        FrameCodec.TryRead(ref seq, 1 << 22, _names, out var header, out _);
        return header.RequestId;
    }
}

[MemoryDiagnoser]
public class CodecBenchmarks
{
    private static readonly MessageType<byte[]> BytesType = MessageTypes.Plain<byte[]>();
    private static readonly MessageType<string> StringType = MessageTypes.Plain<string>();
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private readonly byte[] _payload = new byte[100];
    private ReadOnlySequence<byte> _encodedBytes;

    [GlobalSetup]
    public void Setup()
    {
        MessagePackRpcSerializer.Default.Serialize(_writer, _payload, BytesType);
        _encodedBytes = new ReadOnlySequence<byte>(_writer.WrittenSpan.ToArray());
    }

    [Benchmark]
    public int MessagePackBytesEncode()
    {
        _writer.ResetWrittenCount();
        MessagePackRpcSerializer.Default.Serialize(_writer, _payload, BytesType);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int MessagePackBytesDecode() => MessagePackRpcSerializer.Default.Deserialize(_encodedBytes, BytesType).Length;

    [Benchmark]
    public int MessagePackStringEncode()
    {
        _writer.ResetWrittenCount();
        MessagePackRpcSerializer.Default.Serialize(_writer, "hello meshwork", StringType);
        return _writer.WrittenCount;
    }
}
