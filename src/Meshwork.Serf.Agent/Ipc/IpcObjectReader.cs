using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>
/// Reads whole msgpack objects from an unframed stream: it buffers until <see cref="IpcObject.Measure"/> finds a
/// complete object, so a declared length is checked against the limit before anything waits for or allocates it.
/// </summary>
internal sealed class IpcObjectReader(Stream stream, int maxObjectSize)
{
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    /// <summary>The next object, or <see cref="EndOfStream"/> when the peer closed cleanly between objects.</summary>
    /// <exception cref="WireFormatException">The bytes are not msgpack or exceed the limit.</exception>
    /// <exception cref="EndOfStreamException">The peer closed in the middle of an object.</exception>
    public async ValueTask<object?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_end > _start)
            {
                int n = IpcObject.Measure(_buffer.AsSpan(_start, _end - _start), maxObjectSize);
                if (n > 0)
                {
                    var reader = new MsgPackReader(_buffer.AsSpan(_start, n));
                    var value = IpcObject.Read(ref reader);
                    _start += n;
                    return value;
                }
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= maxObjectSize) throw new WireFormatException($"object larger than the {maxObjectSize}-byte limit");
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxObjectSize));
            }
            int read = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start) return EndOfStream;
                throw new EndOfStreamException("connection closed in the middle of a message");
            }
            _end += read;
        }
    }

    /// <summary>Returned by <see cref="ReadAsync"/> when the stream ended between objects.</summary>
    public static readonly object EndOfStream = new();
}
