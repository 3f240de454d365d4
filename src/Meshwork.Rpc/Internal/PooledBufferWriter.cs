using System.Buffers;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// Growable <see cref="IBufferWriter{T}"/> over an <see cref="ArrayPool{T}"/> array. One per thread is cached so
/// that encoding a message body on the hot path allocates nothing.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    [ThreadStatic] private static PooledBufferWriter? t_cached;

    private byte[] _buffer;
    private int _written;

    private PooledBufferWriter(int initialSize) => _buffer = ArrayPool<byte>.Shared.Rent(initialSize);

    public static PooledBufferWriter Rent()
    {
        var w = t_cached;
        if (w is not null)
        {
            t_cached = null;
            return w;
        }
        return new PooledBufferWriter(1024);
    }

    /// <summary>Returns the writer to the thread cache; large buffers go back to the pool so a single big message does not pin memory.</summary>
    public void Dispose()
    {
        _written = 0;
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(1024);
        }
        t_cached = this;
    }

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Clear() => _written = 0;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 256;
        if (_buffer.Length - _written >= sizeHint) return;
        long want = Math.Max((long)_buffer.Length * 2, (long)_written + sizeHint);
        if (want > Array.MaxLength) want = Math.Max(Array.MaxLength, _written + sizeHint);
        var next = ArrayPool<byte>.Shared.Rent((int)want);
        _buffer.AsSpan(0, _written).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}
