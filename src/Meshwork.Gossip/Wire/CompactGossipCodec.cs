using System.Buffers;
using System.Buffers.Binary;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// The compact wire codec for datagrams between Meshwork nodes: the same memberlist and serf messages, with every
/// well-known msgpack map key (<c>"Node"</c>, <c>"SeqNo"</c>, <c>"Incarnation"</c>, …) replaced by a one-byte id
/// and compound part lengths written as varints instead of 16-bit fields. Everything else (values, user payloads,
/// the opaque blobs inside them) is copied unchanged, so the mapping is exact in both directions.
/// </summary>
/// <remarks>
/// <para>Negotiation: a node that decodes this codec announces memberlist protocol max
/// <see cref="ProtocolMax"/> (6) in its version vector (<see cref="Advertise"/>); serf 0.9.4 / memberlist 0.2.2 peers
/// only check that every node's <em>current</em> version lies within the cluster's range, so they ignore it, keep
/// relaying it in alive messages and push/pull, and are always sent plain msgpack. A peer is sent compact datagrams
/// only once its record shows that vector (<see cref="CanSendTo"/>).</para>
/// <para>Frame: <see cref="MessageType"/> (0xE0), then one encoded message. An encoded message is its memberlist type
/// byte followed by its body with dictionary keys; a compound is <c>07 | n | (varint length | encoded part)…</c>. A
/// message the encoder cannot map exactly (a map key that is already a small integer, or a body that is not a
/// sequence of msgpack values) is carried verbatim with the type byte's high bit set. The key table is fixed for
/// this codec version: ids are never reused or reordered.</para>
/// <para>TCP streams (push/pull, stream pings) stay msgpack: they are rare and dominated by state, not keys.</para>
/// <para>Thread-safe: the codec is stateless apart from its counters.</para>
/// </remarks>
public sealed class CompactGossipCodec : ITransformDelegate
{
    /// <summary>Leading byte of a compact datagram. Not a memberlist 0.2.2 type (0–13) nor a later one (244).</summary>
    public const byte CompactMessageType = 0xE0;

    /// <summary>The memberlist protocol max a node announces to say it decodes this codec.</summary>
    public const byte ProtocolMax = 6;

    /// <summary>Deepest msgpack nesting accepted; the protocol's messages nest at most three levels.</summary>
    public const int MaxDepth = 16;

    private const byte VerbatimFlag = 0x80;
    private const byte CompoundType = 7;

    private long _encoded;
    private long _verbatim;
    private long _decoded;
    private long _bytesIn;
    private long _bytesOut;

    /// <inheritdoc/>
    public byte MessageType => CompactMessageType;

    /// <summary>Datagrams encoded so far (the member list sends the encoded form unless it came out no smaller).</summary>
    public long EncodedPackets => Interlocked.Read(ref _encoded);

    /// <summary>Messages inside encoded datagrams that had to be carried verbatim.</summary>
    public long VerbatimMessages => Interlocked.Read(ref _verbatim);

    /// <summary>Compact datagrams decoded so far.</summary>
    public long DecodedPackets => Interlocked.Read(ref _decoded);

    /// <summary>Msgpack bytes of every encoded datagram, before encoding.</summary>
    public long MsgPackBytes => Interlocked.Read(ref _bytesIn);

    /// <summary>Bytes of the same datagrams after encoding (including the leading type byte).</summary>
    public long CompactBytes => Interlocked.Read(ref _bytesOut);

    /// <summary>
    /// Raises memberlist protocol max in <paramref name="options"/>' version vector to <see cref="ProtocolMax"/> so
    /// that peers learn this node decodes the codec. Call before the node starts.
    /// </summary>
    /// <exception cref="ArgumentException">The version vector does not have 6 bytes.</exception>
    public static void Advertise(MemberlistOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var vsn = options.Vsn.ToArray();
        if (vsn.Length != PeerInvariants.VsnLength) { throw new ArgumentException($"MemberlistOptions.Vsn has {vsn.Length} bytes (must be 6)", nameof(options)); }
        if (vsn[1] < ProtocolMax) { vsn[1] = ProtocolMax; }
        options.Vsn = vsn;
    }

    /// <inheritdoc/>
    public bool CanSendTo(Node peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.ProtocolMax >= ProtocolMax;
    }

    /// <inheritdoc/>
    public bool TryEncode(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (message.IsEmpty) { return false; }
        var w = new ArrayBufferWriter<byte>(message.Length);
        var verbatim = 0;
        if (!EncodeMessage(message, w, ref verbatim)) { return false; }
        output.Write([CompactMessageType]);
        output.Write(w.WrittenSpan);
        Interlocked.Increment(ref _encoded);
        Interlocked.Add(ref _verbatim, verbatim);
        Interlocked.Add(ref _bytesIn, message.Length);
        Interlocked.Add(ref _bytesOut, w.WrittenCount + 1);
        return true;
    }

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var pos = 0;
        DecodeMessage(body, ref pos, body.Length, output, allowCompound: true);
        if (pos != body.Length) { throw new WireFormatException($"{body.Length - pos} bytes after the compact message"); }
        Interlocked.Increment(ref _decoded);
    }

    // ------------------------------------------------------------------ encoding

    private static bool EncodeMessage(ReadOnlySpan<byte> message, ArrayBufferWriter<byte> w, ref int verbatim)
    {
        if (message[0] >= VerbatimFlag) { return false; }
        if (message[0] == CompoundType) { return EncodeCompound(message, w, ref verbatim); }
        EncodePart(message, w, ref verbatim);
        return true;
    }

    /// <summary>One non-compound message: type byte and walked body, or verbatim when the body cannot be mapped exactly.</summary>
    private static void EncodePart(ReadOnlySpan<byte> part, ArrayBufferWriter<byte> w, ref int verbatim)
    {
        var mark = w.WrittenCount;
        w.Write([part[0]]);
        var walker = new CompactWalker(part, 1, w, encode: true);
        if (walker.CopySequence()) { return; }
        // Not an exact sequence of msgpack values (a custom delegate payload, say): carry it as it is.
        var written = w.WrittenSpan[..mark].ToArray();
        w.Clear();
        w.Write(written);
        w.Write([(byte)(part[0] | VerbatimFlag)]);
        w.Write(part[1..]);
        verbatim++;
    }

    private static bool EncodeCompound(ReadOnlySpan<byte> message, ArrayBufferWriter<byte> w, ref int verbatim)
    {
        if (message.Length < 2) { return false; }
        int n = message[1];
        if (n is 0 || n > PeerInvariants.MaxCompoundParts || message.Length < 2 + 2 * n) { return false; }
        w.Write([CompoundType, (byte)n]);
        var off = 2 + 2 * n;
        var inner = new ArrayBufferWriter<byte>(256);
        for (var i = 0; i < n; i++)
        {
            int len = BinaryPrimitives.ReadUInt16BigEndian(message[(2 + 2 * i)..]);
            if (len == 0 || off + len > message.Length) { return false; }
            var part = message.Slice(off, len);
            off += len;
            if (part[0] >= VerbatimFlag || part[0] == CompoundType) { return false; }
            inner.Clear();
            EncodePart(part, inner, ref verbatim);
            WriteVarint(w, (uint)inner.WrittenCount);
            w.Write(inner.WrittenSpan);
        }
        return off == message.Length;
    }

    // ------------------------------------------------------------------ decoding

    private static void DecodeMessage(ReadOnlySpan<byte> src, ref int pos, int end, IBufferWriter<byte> output, bool allowCompound)
    {
        if (pos >= end) { throw new WireFormatException("empty compact message"); }
        var type = src[pos];
        if ((type & VerbatimFlag) != 0)
        {
            var original = (byte)(type & ~VerbatimFlag);
            if (original == CompoundType) { throw new WireFormatException("a verbatim compound is not allowed"); }
            output.Write([original]);
            output.Write(src[(pos + 1)..end]);
            pos = end;
            return;
        }
        if (type == CompoundType)
        {
            if (!allowCompound) { throw new WireFormatException("compound nested in a compound"); }
            DecodeCompound(src, ref pos, end, output);
            return;
        }
        output.Write([type]);
        var walker = new CompactWalker(src[..end], pos + 1, output, encode: false);
        if (!walker.CopySequence()) { throw new WireFormatException(walker.Error ?? "malformed compact message"); }
        pos = end;
    }

    private static void DecodeCompound(ReadOnlySpan<byte> src, ref int pos, int end, IBufferWriter<byte> output)
    {
        if (pos + 2 > end) { throw new WireFormatException("truncated compact compound"); }
        int n = src[pos + 1];
        if (n == 0 || n > PeerInvariants.MaxCompoundParts) { throw new WireFormatException($"compact compound announces {n} parts"); }
        pos += 2;
        var parts = new ArrayBufferWriter<byte>[n];
        for (var i = 0; i < n; i++)
        {
            var len = ReadVarint(src, ref pos, end);
            if (len == 0 || len > end - pos) { throw new WireFormatException($"compact compound part {i} has length {len} with {end - pos} bytes left"); }
            var partEnd = pos + (int)len;
            parts[i] = new ArrayBufferWriter<byte>((int)len + 32);
            DecodeMessage(src, ref pos, partEnd, parts[i], allowCompound: false);
            if (parts[i].WrittenCount > ushort.MaxValue) { throw new WireFormatException($"compact compound part {i} decodes to {parts[i].WrittenCount} bytes"); }
        }
        var header = new byte[2 + 2 * n];
        header[0] = CompoundType;
        header[1] = (byte)n;
        for (var i = 0; i < n; i++) { BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2 + 2 * i), (ushort)parts[i].WrittenCount); }
        output.Write(header);
        foreach (var p in parts) { output.Write(p.WrittenSpan); }
    }

    private static void WriteVarint(IBufferWriter<byte> w, uint value)
    {
        Span<byte> b = stackalloc byte[5];
        var n = 0;
        while (value >= 0x80) { b[n++] = (byte)(value | 0x80); value >>= 7; }
        b[n++] = (byte)value;
        w.Write(b[..n]);
    }

    private static uint ReadVarint(ReadOnlySpan<byte> src, ref int pos, int end)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (pos >= end) { throw new WireFormatException("truncated varint"); }
            var b = src[pos++];
            value |= (uint)(b & 0x7f) << shift;
            if (b < 0x80) { return value; }
        }
        throw new WireFormatException("varint longer than 5 bytes");
    }
}
