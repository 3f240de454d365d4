using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Discovery.ZooKeeper.Protocol;

/// <summary>
/// Builds one length-prefixed frame in the jute encoding ZooKeeper speaks: big-endian integers, a one-byte boolean,
/// strings and byte buffers as a 4-byte length then the bytes (-1 for null), vectors as a 4-byte count then the items.
/// The buffer is rented from the array pool and returned by <see cref="Dispose"/>; the first four bytes are reserved
/// for the frame length, filled in by <see cref="Frame"/>.
/// </summary>
internal sealed class JuteWriter : IDisposable
{
    private byte[] _buffer;
    private int _length = 4;

    public JuteWriter(int capacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));

    /// <summary>Bytes written after the length prefix.</summary>
    public int PayloadLength => _length - 4;

    private Span<byte> Grab(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Grab(4), value);

    public void WriteLong(long value) => BinaryPrimitives.WriteInt64BigEndian(Grab(8), value);

    public void WriteBool(bool value) => Grab(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Grab(value.Length));
    }

    /// <summary>Overwrites four bytes at <paramref name="payloadOffset"/> (counted from the start of the frame).</summary>
    public void PatchInt(int payloadOffset, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(payloadOffset, 4), value);

    /// <summary>The whole frame (length prefix included), valid until the writer is disposed.</summary>
    public ReadOnlyMemory<byte> Frame()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _length - 4);
        return _buffer.AsMemory(0, _length);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
