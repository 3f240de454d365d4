using System.Buffers.Binary;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Transport;

/// <summary>A stream-level protocol error, reported back to the peer as an err message where possible.</summary>
public sealed class StreamProtocolException(string message) : Exception(message);

/// <summary>
/// Stream (TCP) message framing of memberlist: one message each way, no length prefix for plaintext
/// (the reader walks msgpack objects), optional <c>09</c> compression and <c>0a</c> encryption layers.
/// </summary>
internal static class StreamCodec
{
    private const int MaxEncryptedLength = 20 * 1024 * 1024;

    // First byte of a TLS ClientHello record; no memberlist message type has this value.
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>Writes a message: always compressed when compression is on, then encrypted if a keyring exists.</summary>
    public static async Task WriteAsync(Stream stream, byte[] message, MemberlistOptions options, CancellationToken ct)
    {
        if (options.EnableCompression) { message = PacketCodec.Compress(message); }
        if (options.Keyring is { } ring)
        {
            var header = PacketEncryption.StreamHeader(message.Length + PacketEncryption.Overhead);
            var encrypted = PacketEncryption.Encrypt(ring.PrimaryKey, message, header);
            var framed = new byte[header.Length + encrypted.Length];
            header.CopyTo(framed, 0);
            encrypted.CopyTo(framed, header.Length);
            message = framed;
        }
        await stream.WriteAsync(message, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads the outer layers and returns the inner message type and a source positioned on its body.</summary>
    public static async Task<(MessageType Type, ByteSource Body)> ReadAsync(Stream stream, Keyring? ring, CancellationToken ct)
    {
        var source = new ByteSource(stream);
        var b = await source.ReadByteAsync(ct).ConfigureAwait(false);
        if (b == TlsHandshakeRecord)
        {
            throw new StreamProtocolException("the peer opened a TLS stream, but stream TLS is not enabled on this node (MemberlistOptions.StreamTls)");
        }
        if (ring is not null && b != (byte)MessageType.Encrypt)
        {
            throw new StreamProtocolException("Encryption is configured but remote state is not encrypted");
        }
        if (b == (byte)MessageType.Encrypt)
        {
            if (ring is null) { throw new StreamProtocolException("Remote state is encrypted and encryption is not configured"); }
            var lenBytes = await source.ReadExactAsync(4, ct).ConfigureAwait(false);
            var len = BinaryPrimitives.ReadUInt32BigEndian(lenBytes);
            if (len > MaxEncryptedLength) { throw new StreamProtocolException($"Remote node state is larger than limit ({len})"); }
            var data = await source.ReadExactAsync((int)len, ct).ConfigureAwait(false);
            var aad = new byte[5];
            aad[0] = b;
            lenBytes.CopyTo(aad, 1);
            byte[] plain;
            try { plain = PacketEncryption.Decrypt(ring.Keys, data, aad); }
            catch (System.Security.Cryptography.CryptographicException e) { throw new StreamProtocolException(e.Message); }
            source = new ByteSource(new MemoryStream(plain));
            b = await source.ReadByteAsync(ct).ConfigureAwait(false);
        }
        if (b == (byte)MessageType.Compress)
        {
            var obj = await source.ReadObjectAsync(ct).ConfigureAwait(false);
            var inner = PacketCodec.Decompress(obj, PeerInvariants.MaxDecompressedStream);
            source = new ByteSource(new MemoryStream(inner, 1, inner.Length - 1));
            b = inner[0];
        }
        return ((MessageType)b, source);
    }

    /// <summary>Reads a push/pull body (header, node states, user state).</summary>
    public static async Task<PushPullState> ReadPushPullAsync(ByteSource source, CancellationToken ct)
    {
        var headerBytes = await source.ReadObjectAsync(ct).ConfigureAwait(false);
        var header = Decode(headerBytes, PushPullHeader.Read);
        if (PeerInvariants.CheckPushPullHeader(header) is { } bad) { throw new PeerInvariantException(bad); }
        var nodes = new List<PushNodeState>(Math.Min(header.Nodes, 4096));
        for (var i = 0; i < header.Nodes; i++)
        {
            nodes.Add(Decode(await source.ReadObjectAsync(ct).ConfigureAwait(false), PushNodeState.Read));
        }
        var user = header.UserStateLen > 0 ? await source.ReadExactAsync(header.UserStateLen, ct).ConfigureAwait(false) : [];
        return new PushPullState(header.Join, nodes, user);
    }

    public delegate T BodyReader<out T>(ref MsgPackReader r);

    public static T Decode<T>(byte[] bytes, BodyReader<T> read)
    {
        var r = new MsgPackReader(bytes);
        return read(ref r);
    }
}

/// <summary>Buffered async reader that can extract exactly one msgpack object from a stream.</summary>
internal sealed class ByteSource(Stream stream)
{
    private readonly byte[] _buffer = new byte[8192];
    private int _pos;
    private int _len;

    public async ValueTask<byte> ReadByteAsync(CancellationToken ct)
    {
        if (_pos == _len)
        {
            _len = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
            _pos = 0;
            if (_len == 0) { throw new EndOfStreamException(); }
        }
        return _buffer[_pos++];
    }

    public async ValueTask<byte[]> ReadExactAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_pos == _len)
            {
                if (count - filled >= _buffer.Length)
                {
                    var n = await stream.ReadAsync(result.AsMemory(filled), ct).ConfigureAwait(false);
                    if (n == 0) { throw new EndOfStreamException(); }
                    filled += n;
                    continue;
                }
                _len = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
                _pos = 0;
                if (_len == 0) { throw new EndOfStreamException(); }
            }
            var take = Math.Min(count - filled, _len - _pos);
            Array.Copy(_buffer, _pos, result, filled, take);
            _pos += take;
            filled += take;
        }
        return result;
    }

    public async ValueTask<byte[]> ReadObjectAsync(CancellationToken ct)
    {
        var acc = new MemoryStream();
        await ReadIntoAsync(acc, 0, ct).ConfigureAwait(false);
        return acc.ToArray();
    }

    private async ValueTask ReadIntoAsync(MemoryStream acc, int depth, CancellationToken ct)
    {
        if (depth > 64) { throw new WireFormatException("msgpack nesting too deep"); }
        var b = await ReadByteAsync(ct).ConfigureAwait(false);
        acc.WriteByte(b);
        long raw = -1, items = 0, fixedLen = 0;
        if (b <= 0x7f || b >= 0xe0 || b is 0xc0 or 0xc2 or 0xc3) { return; }
        if ((b & 0xe0) == 0xa0) { raw = b & 0x1f; }
        else if ((b & 0xf0) == 0x80) { items = 2 * (b & 0x0f); }
        else if ((b & 0xf0) == 0x90) { items = b & 0x0f; }
        else
        {
            switch (b)
            {
                case 0xcc or 0xd0: fixedLen = 1; break;
                case 0xcd or 0xd1: fixedLen = 2; break;
                case 0xce or 0xd2 or 0xca: fixedLen = 4; break;
                case 0xcf or 0xd3 or 0xcb: fixedLen = 8; break;
                case 0xd9 or 0xc4: raw = await Len(acc, 1, ct).ConfigureAwait(false); break;
                case 0xda or 0xc5: raw = await Len(acc, 2, ct).ConfigureAwait(false); break;
                case 0xdb or 0xc6: raw = await Len(acc, 4, ct).ConfigureAwait(false); break;
                case 0xdc: items = await Len(acc, 2, ct).ConfigureAwait(false); break;
                case 0xdd: items = await Len(acc, 4, ct).ConfigureAwait(false); break;
                case 0xde: items = 2 * await Len(acc, 2, ct).ConfigureAwait(false); break;
                case 0xdf: items = 2 * await Len(acc, 4, ct).ConfigureAwait(false); break;
                default: throw new WireFormatException($"unsupported msgpack byte 0x{b:x2} on stream");
            }
        }
        if (fixedLen > 0) { acc.Write(await ReadExactAsync((int)fixedLen, ct).ConfigureAwait(false)); }
        if (raw >= 0)
        {
            if (raw > 64 * 1024 * 1024) { throw new WireFormatException("msgpack value too large"); }
            acc.Write(await ReadExactAsync((int)raw, ct).ConfigureAwait(false));
        }
        for (long i = 0; i < items; i++) { await ReadIntoAsync(acc, depth + 1, ct).ConfigureAwait(false); }
    }

    private async ValueTask<long> Len(MemoryStream acc, int size, CancellationToken ct)
    {
        var bytes = await ReadExactAsync(size, ct).ConfigureAwait(false);
        acc.Write(bytes);
        return size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        };
    }
}
