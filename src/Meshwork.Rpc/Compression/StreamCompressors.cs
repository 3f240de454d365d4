using System.Buffers;
using System.IO.Compression;

namespace Meshwork.Rpc.Compression;

/// <summary>A compressor built on a .NET compression stream; subclasses only say which stream.</summary>
public abstract class StreamCompressor(CompressionLevel level) : ICompressor
{
    /// <inheritdoc/>
    public abstract byte Id { get; }
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>A stream that compresses into <paramref name="sink"/> at <paramref name="level"/> and leaves it open.</summary>
    protected abstract Stream Compressing(Stream sink, CompressionLevel level);

    /// <summary>A stream that decompresses <paramref name="source"/>.</summary>
    protected abstract Stream Decompressing(Stream source);

    /// <inheritdoc/>
    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var sink = new BufferWriterStream(destination);
        using (var stream = Compressing(sink, level))
        {
            stream.Write(source);
        }
    }

    /// <inheritdoc/>
    public void Decompress(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination, int maxSize)
    {
        using var input = new SequenceStream(source);
        using var stream = Decompressing(input);
        CompressionCopy.CopyBounded(stream, destination, maxSize, Name);
    }
}

/// <summary>gzip (RFC 1952), as the brief asks for large bodies.</summary>
public sealed class GzipCompressor(CompressionLevel level = CompressionLevel.Fastest) : StreamCompressor(level)
{
    /// <inheritdoc/>
    public override byte Id => CompressionIds.Gzip;
    /// <inheritdoc/>
    public override string Name => "gzip";
    /// <inheritdoc/>
    protected override Stream Compressing(Stream sink, CompressionLevel level) => new GZipStream(sink, level, leaveOpen: true);
    /// <inheritdoc/>
    protected override Stream Decompressing(Stream source) => new GZipStream(source, CompressionMode.Decompress);
}

/// <summary>Brotli: better ratio than gzip at similar speed for text-like payloads.</summary>
public sealed class BrotliCompressor(CompressionLevel level = CompressionLevel.Fastest) : StreamCompressor(level)
{
    /// <inheritdoc/>
    public override byte Id => CompressionIds.Brotli;
    /// <inheritdoc/>
    public override string Name => "br";
    /// <inheritdoc/>
    protected override Stream Compressing(Stream sink, CompressionLevel level) => new BrotliStream(sink, level, leaveOpen: true);
    /// <inheritdoc/>
    protected override Stream Decompressing(Stream source) => new BrotliStream(source, CompressionMode.Decompress);
}

internal static class CompressionCopy
{
    public static void CopyBounded(Stream from, IBufferWriter<byte> to, int maxSize, string name)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var span = to.GetSpan(16 * 1024);
                int n = from.Read(span);
                if (n == 0) return;
                total += n;
                if (total > maxSize)
                {
                    throw new RpcException(StatusCode.ResourceExhausted, $"{name} body decompresses to more than the {maxSize}-byte message limit (MaxMessageSize)");
                }
                to.Advance(n);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException)
        {
            // Corrupt gzip throws InvalidDataException, corrupt brotli InvalidOperationException.
            throw new RpcException(StatusCode.InvalidArgument, $"{name} body is corrupt: {ex.Message}", ex);
        }
    }
}

/// <summary>Write-only stream over an <see cref="IBufferWriter{T}"/>.</summary>
internal sealed class BufferWriterStream(IBufferWriter<byte> writer) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);
}

/// <summary>Read-only stream over a <see cref="ReadOnlySequence{T}"/>.</summary>
internal sealed class SequenceStream(ReadOnlySequence<byte> sequence) : Stream
{
    private ReadOnlySequence<byte> _remaining = sequence;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, _remaining.Length);
        _remaining.Slice(0, n).CopyTo(buffer);
        _remaining = _remaining.Slice(n);
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
