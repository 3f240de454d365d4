using System.Buffers;

namespace Meshwork.Rpc.Compression;

/// <summary>A body compression algorithm. Its <see cref="Id"/> travels in the frame header (key 6); 0 means uncompressed.</summary>
public interface ICompressor
{
    /// <summary>Wire id (header key 6); unique among a peer's compressors, never 0.</summary>
    byte Id { get; }

    /// <summary>Name used in <see cref="CallOptions.Compression"/> and in error messages, e.g. <c>gzip</c>.</summary>
    string Name { get; }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/>.</summary>
    void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination);

    /// <summary>Decompresses; throws <see cref="RpcException"/> (ResourceExhausted) as soon as the output would exceed <paramref name="maxSize"/>.</summary>
    void Decompress(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination, int maxSize);
}

/// <summary>Wire ids of the built-in compressors.</summary>
public static class CompressionIds
{
    /// <summary>Uncompressed body.</summary>
    public const byte None = 0;
    /// <summary><see cref="GzipCompressor"/>.</summary>
    public const byte Gzip = 1;
    /// <summary><see cref="BrotliCompressor"/>.</summary>
    public const byte Brotli = 2;
}
