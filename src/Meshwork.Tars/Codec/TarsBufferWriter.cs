using System.Buffers;

namespace Meshwork.Tars;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over <see cref="ArrayPool{T}.Shared"/> arrays: encode into it, use
/// <see cref="WrittenSpan"/>, then <see cref="Dispose"/> to return the array. Encoding through it allocates nothing
/// once the pool is warm.
/// </summary>
public sealed class TarsBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;
    private bool _disposed;

    /// <summary>Creates a writer with a pooled array of at least <paramref name="initialCapacity"/> bytes.</summary>
    /// <param name="initialCapacity">Initial capacity (default 256: most TARS packets fit).</param>
    public TarsBufferWriter(int initialCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>Number of bytes written.</summary>
    public int WrittenCount => _written;

    /// <summary>The bytes written so far (valid until the next write or <see cref="Dispose"/>).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>The bytes written so far (valid until the next write or <see cref="Dispose"/>).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>The written bytes as a writable span, for patching a length prefix after the body is written.</summary>
    internal Span<byte> WrittenBuffer() => _buffer.AsSpan(0, _written);

    /// <summary>Forgets what was written, keeping the array.</summary>
    public void Clear() => _written = 0;

    /// <summary>Size of the current array (what a reused writer keeps between uses).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Forgets everything written after the first <paramref name="length"/> bytes (undoes a partly written frame).</summary>
    internal void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _written);
        _written = length;
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written) throw new InvalidOperationException("Advanced past the end of the buffer.");
        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Returns the array to the pool; the writer must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        if (_buffer.Length - _written >= sizeHint) return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        long want = Math.Max((long)_buffer.Length * 2, (long)_written + sizeHint);
        if (want > Array.MaxLength) want = Math.Max(Array.MaxLength, (long)_written + sizeHint);
        var next = ArrayPool<byte>.Shared.Rent((int)want);
        _buffer.AsSpan(0, _written).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}
