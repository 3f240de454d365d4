using System.Buffers;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// The send queue of a connection as two buffers: writers append whole frames to the pending one under the
/// connection's write lock, and the pump swaps it for the one it has just sent and writes everything in one socket
/// write. Appending is a copy into an array; every write the pump makes carries all the frames queued since the
/// previous one. Frames are appended through its <see cref="IBufferWriter{T}"/> members.
/// Not thread-safe by itself: every member is called under the owner's lock.
/// </summary>
internal sealed class SendBuffers : IBufferWriter<byte>
{
    /// <summary>A buffer that grew beyond this for a burst goes back to the pool once sent.</summary>
    private const int KeepCapacity = 256 * 1024;
    private const int InitialCapacity = 16 * 1024;

    private byte[] _pending = ArrayPool<byte>.Shared.Rent(InitialCapacity);
    private int _pendingLength;
    private byte[] _sending = ArrayPool<byte>.Shared.Rent(InitialCapacity);
    private bool _released;

    /// <summary>Bytes appended and not yet taken by the pump.</summary>
    public int PendingLength => _pendingLength;

    /// <summary>The pump takes everything pending: returns it as one block (valid until the next call) and starts a new pending buffer.</summary>
    public ReadOnlyMemory<byte> TakePending()
    {
        (_pending, _sending) = (_sending, _pending);
        int length = _pendingLength;
        _pendingLength = 0;
        if (_pending.Length > KeepCapacity)
        {
            // The buffer that is now pending last carried a burst: do not keep that much for a quiet connection.
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = ArrayPool<byte>.Shared.Rent(InitialCapacity);
        }
        return _sending.AsMemory(0, length);
    }

    /// <summary>Hands both arrays back to the pool; nothing may be appended afterwards.</summary>
    public void Release()
    {
        if (_released) return;
        _released = true;
        ArrayPool<byte>.Shared.Return(_pending);
        ArrayPool<byte>.Shared.Return(_sending);
        _pending = _sending = [];
        _pendingLength = 0;
    }

    private void Grow(int sizeHint)
    {
        if (_released) throw new ObjectDisposedException(nameof(SendBuffers));
        long want = Math.Max((long)_pending.Length * 2, (long)_pendingLength + Math.Max(sizeHint, 256));
        if (want > Array.MaxLength) want = Math.Max(Array.MaxLength, _pendingLength + sizeHint);
        var next = ArrayPool<byte>.Shared.Rent((int)want);
        _pending.AsSpan(0, _pendingLength).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_pending);
        _pending = next;
    }

    // IBufferWriter<byte>: appends to the pending buffer, under the owner's lock.

    public void Advance(int count) => _pendingLength += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_pending.Length - _pendingLength < Math.Max(sizeHint, 1)) Grow(sizeHint);
        return _pending.AsMemory(_pendingLength);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        if (_pending.Length - _pendingLength < Math.Max(sizeHint, 1)) Grow(sizeHint);
        return _pending.AsSpan(_pendingLength);
    }
}
