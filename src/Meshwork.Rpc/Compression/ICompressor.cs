using System.Buffers;

namespace Meshwork.Rpc.Compression;

/// <summary>A body compression algorithm. Its <see cref="Id"/> travels in the frame header (key 6); 0 means uncompressed.</summary>
public interface ICompressor
{
    byte Id { get; }

    string Name { get; }

    void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination);

    /// <summary>Decompresses; throws <see cref="RpcException"/> (ResourceExhausted) as soon as the output would exceed <paramref name="maxSize"/>.</summary>
    void Decompress(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination, int maxSize);
}

/// <summary>Wire ids of the built-in compressors.</summary>
public static class CompressionIds
{
    public const byte None = 0;
    public const byte Gzip = 1;
    public const byte Brotli = 2;
}
