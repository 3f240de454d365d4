using System.Buffers.Binary;
using Meshwork.Gossip.Diagnostics;

namespace Meshwork.Gossip.Wire;

/// <summary>Framing helpers: typed messages, compound containers, CRC and compression wrappers.</summary>
internal static class PacketCodec
{
    /// <summary>Maximum number of parts in one compound (u8 count; the Go 0.2.2 reader mis-checks ≥128 so we stay below).</summary>
    public const int MaxCompoundParts = PeerInvariants.MaxCompoundParts;

    public static byte[] Encode(MessageType type, Action<MsgPackWriter> body)
    {
        var w = new MsgPackWriter();
        w.WriteByte((byte)type);
        body(w);
        return w.ToArray();
    }

    public static byte[] Encode(PingMessage m) => Encode(MessageType.Ping, m.Write);
    public static byte[] Encode(IndirectPingMessage m) => Encode(MessageType.IndirectPing, m.Write);
    public static byte[] Encode(AckMessage m) => Encode(MessageType.Ack, m.Write);
    public static byte[] Encode(NackMessage m) => Encode(MessageType.Nack, m.Write);
    public static byte[] Encode(AliveMessage m) => Encode(MessageType.Alive, m.Write);
    public static byte[] EncodeSuspect(AccusationMessage m) => Encode(MessageType.Suspect, m.Write);
    public static byte[] EncodeDead(AccusationMessage m) => Encode(MessageType.Dead, m.Write);
    public static byte[] Encode(ErrorMessage m) => Encode(MessageType.Err, m.Write);

    /// <summary>Wraps a delegate payload as a memberlist user message.</summary>
    public static byte[] User(ReadOnlySpan<byte> payload)
    {
        var b = new byte[payload.Length + 1];
        b[0] = (byte)MessageType.User;
        payload.CopyTo(b.AsSpan(1));
        return b;
    }

    /// <summary>Builds <c>07 | n | len_i (u16 BE)... | msg_i...</c>. Empty parts are never allowed.</summary>
    public static byte[] Compound(IReadOnlyList<byte[]> parts)
    {
        if (parts.Count is 0 or > MaxCompoundParts) { throw new ArgumentOutOfRangeException(nameof(parts)); }
        var total = 2 + 2 * parts.Count + parts.Sum(p => p.Length);
        var b = new byte[total];
        b[0] = (byte)MessageType.Compound;
        b[1] = (byte)parts.Count;
        var off = 2;
        foreach (var p in parts)
        {
            if (p.Length is 0 or > ushort.MaxValue) { throw new ArgumentException("compound part size out of range"); }
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(off), (ushort)p.Length);
            off += 2;
        }
        foreach (var p in parts) { p.CopyTo(b, off); off += p.Length; }
        return b;
    }

    /// <summary>One message as-is, several as a compound (split into several packets past 127 parts).</summary>
    public static byte[] Pack(IReadOnlyList<byte[]> parts) => parts.Count == 1 ? parts[0] : Compound(parts);

    /// <summary>
    /// Splits a compound body (after the type byte). Returns the complete parts and how many were truncated.
    /// Throws <see cref="PeerInvariantException"/> for what a Go 0.2.2 reader mis-parses or panics on: ≥ 128 parts
    /// (u8 overflow in decodeCompoundMessage), a length table longer than the buffer, or an empty part
    /// (handleCommand reads buf[0]).
    /// </summary>
    public static (List<ReadOnlyMemory<byte>> Parts, int Truncated) SplitCompound(ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        if (span.Length < 1) { throw Malformed(MalformedInputKinds.Compound, "missing compound length byte"); }
        int n = span[0];
        if (n > MaxCompoundParts) { throw Malformed(MalformedInputKinds.Compound, $"compound announces {n} parts (Go peers mis-parse more than {MaxCompoundParts})"); }
        if (span.Length < 1 + 2 * n) { throw Malformed(MalformedInputKinds.Compound, "truncated compound lengths"); }
        for (var i = 0; i < n; i++)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(span[(1 + 2 * i)..]) == 0) { throw Malformed(MalformedInputKinds.EmptyMessage, $"compound part {i} is empty"); }
        }
        var parts = new List<ReadOnlyMemory<byte>>(n);
        var off = 1 + 2 * n;
        for (var i = 0; i < n; i++)
        {
            int len = BinaryPrimitives.ReadUInt16BigEndian(span[(1 + 2 * i)..]);
            if (off + len > span.Length) { return (parts, n - i); }
            parts.Add(body.Slice(off, len));
            off += len;
        }
        return (parts, 0);
    }

    /// <summary>Prefixes <c>0c | crc32(BE)</c>.</summary>
    public static byte[] AddCrc(ReadOnlySpan<byte> message)
    {
        var b = new byte[message.Length + 5];
        b[0] = (byte)MessageType.HasCrc;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(1), Crc32.Compute(message));
        message.CopyTo(b.AsSpan(5));
        return b;
    }

    /// <summary>Compresses a message into <c>09 + compress{Algo:0, Buf}</c>.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> message)
    {
        var buf = Lzw.Compress(message);
        return Encode(MessageType.Compress, new CompressMessage(0, buf).Write);
    }

    /// <summary>
    /// Decodes the body of a compress message (after the type byte) to the inner message, at most
    /// <paramref name="maxOutput"/> bytes. An empty result is refused: Go peers index its first byte.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> body, int maxOutput = PeerInvariants.MaxDecompressedStream)
    {
        var r = new MsgPackReader(body);
        var c = CompressMessage.Read(ref r);
        if (c.Algo != 0) { throw Malformed(MalformedInputKinds.Compression, $"cannot decompress unknown algorithm {c.Algo}"); }
        byte[] inner;
        try { inner = Lzw.Decompress(c.Buf, maxOutput); }
        catch (WireFormatException e) { throw Malformed(MalformedInputKinds.Compression, e.Message); }
        return inner.Length == 0 ? throw Malformed(MalformedInputKinds.EmptyMessage, "nothing after decompression") : inner;
    }

    private static PeerInvariantException Malformed(string kind, string detail) => new(new MalformedInput(kind, detail));
}
