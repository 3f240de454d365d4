using System.Buffers;
using System.Buffers.Binary;
using Meshwork.Rpc.Diagnostics;

namespace Meshwork.Rpc.Protocol;

/// <summary>
/// Reads and writes Meshwork v1 frames:
/// <c>magic(2) version(1) type|flags(1) totalLength(4) headerLength(4) header body</c>, integers big-endian,
/// totalLength = 4 + headerLength + bodyLength.
/// </summary>
internal static class FrameCodec
{
    /// <summary>
    /// Tries to take one complete frame off the front of <paramref name="buffer"/>.
    /// Returns false when more bytes are needed. Oversized or malformed frames throw <see cref="ProtocolException"/>
    /// as soon as the prefix shows it, without waiting for (or buffering) the rest.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameSize, Utf8StringCache? names,
        out FrameHeader header, out ReadOnlySequence<byte> body)
    {
        header = default;
        body = default;
        if (buffer.Length < FrameLayout.PrefixSize)
        {
            // Validate what we have of the magic early so that garbage is rejected without waiting.
            if (buffer.Length > 0) ValidatePartialMagic(buffer);
            return false;
        }

        Span<byte> prefix = stackalloc byte[FrameLayout.PrefixSize];
        buffer.Slice(0, FrameLayout.PrefixSize).CopyTo(prefix);
        if (prefix[0] != FrameLayout.Magic0 || prefix[1] != FrameLayout.Magic1)
        {
            throw new ProtocolException($"bad magic 0x{prefix[0]:X2}{prefix[1]:X2}: not a Meshwork frame", StatusCode.InvalidArgument, ProtocolErrorKind.BadMagic);
        }
        if (prefix[2] != FrameLayout.Version)
        {
            throw new ProtocolException($"unsupported protocol version {prefix[2]} (this peer speaks version {FrameLayout.Version})", StatusCode.Unimplemented, ProtocolErrorKind.UnsupportedVersion);
        }
        var type = (FrameType)(prefix[3] & 0x0F);
        if (type is < FrameType.Request or > FrameType.WindowUpdate)
        {
            throw new ProtocolException($"unknown frame type {(int)type}", StatusCode.InvalidArgument, ProtocolErrorKind.UnknownFrameType);
        }
        uint total = BinaryPrimitives.ReadUInt32BigEndian(prefix[4..]);
        uint headerLength = BinaryPrimitives.ReadUInt32BigEndian(prefix[8..]);
        long frameSize = (long)total + FrameLayout.LengthExcluded;
        if (frameSize > maxFrameSize)
        {
            throw new ProtocolException($"frame of {frameSize} bytes exceeds the maximum frame size of {maxFrameSize} bytes", StatusCode.ResourceExhausted, ProtocolErrorKind.FrameTooLarge);
        }
        if (total < 4 || headerLength > total - 4)
        {
            throw new ProtocolException($"header length {headerLength} does not fit in total length {total}", StatusCode.InvalidArgument, ProtocolErrorKind.InvalidLength);
        }
        if (headerLength > FrameLayout.MaxHeaderSize)
        {
            throw new ProtocolException($"header of {headerLength} bytes exceeds the {FrameLayout.MaxHeaderSize}-byte header limit", StatusCode.ResourceExhausted, ProtocolErrorKind.FrameTooLarge);
        }
        if (buffer.Length < frameSize)
        {
            return false;
        }

        var headerSeq = buffer.Slice(FrameLayout.PrefixSize, headerLength);
        header.Type = type;
        header.Flags = (FrameFlags)(prefix[3] >> 4);
        if (headerSeq.IsSingleSegment)
        {
            HeaderCodec.Read(headerSeq.FirstSpan, ref header, names);
        }
        else
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent((int)headerLength);
            try
            {
                headerSeq.CopyTo(rented);
                HeaderCodec.Read(rented.AsSpan(0, (int)headerLength), ref header, names);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        header.Type = type;
        body = buffer.Slice(FrameLayout.PrefixSize + headerLength, total - 4 - headerLength);
        buffer = buffer.Slice(frameSize);
        return true;
    }

    private static void ValidatePartialMagic(in ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        if (first.Length > 0 && first[0] != FrameLayout.Magic0 ||
            first.Length > 1 && first[1] != FrameLayout.Magic1)
        {
            throw new ProtocolException($"bad magic 0x{first[0]:X2}: not a Meshwork frame", StatusCode.InvalidArgument, ProtocolErrorKind.BadMagic);
        }
    }

    /// <summary>Writes a complete frame. <paramref name="body"/> is copied after the header.</summary>
    public static void Write(IBufferWriter<byte> writer, in FrameHeader header, ReadOnlySpan<byte> body)
    {
        WritePrefixAndHeader(writer, header, body.Length);
        if (!body.IsEmpty)
        {
            writer.Write(body);
        }
    }

    /// <summary>Writes a complete frame whose body is a (possibly multi-segment) sequence.</summary>
    public static void Write(IBufferWriter<byte> writer, in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        WritePrefixAndHeader(writer, header, checked((int)body.Length));
        foreach (var segment in body)
        {
            writer.Write(segment.Span);
        }
    }

    /// <summary>Writes the prefix and header of a frame whose body of <paramref name="bodyLength"/> bytes follows; returns the header length.</summary>
    public static int WritePrefixAndHeader(IBufferWriter<byte> writer, in FrameHeader header, int bodyLength)
    {
        int max = HeaderCodec.GetMaxSize(header);
        Span<byte> span = writer.GetSpan(FrameLayout.PrefixSize + max);
        int headerLength = HeaderCodec.Write(header, span[FrameLayout.PrefixSize..]);
        if (headerLength > FrameLayout.MaxHeaderSize)
        {
            // Checked before anything is committed to the writer, so the connection's stream stays intact.
            throw new RpcException(StatusCode.ResourceExhausted,
                $"frame header of {headerLength} bytes exceeds the {FrameLayout.MaxHeaderSize}-byte limit (metadata or status message too large)");
        }
        span[0] = FrameLayout.Magic0;
        span[1] = FrameLayout.Magic1;
        span[2] = FrameLayout.Version;
        span[3] = (byte)((byte)header.Type | ((byte)header.Flags << 4));
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], checked((uint)(4 + headerLength + bodyLength)));
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)headerLength);
        writer.Advance(FrameLayout.PrefixSize + headerLength);
        return headerLength;
    }
}
