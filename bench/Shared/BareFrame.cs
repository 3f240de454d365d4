using System.Buffers.Binary;

namespace Meshwork.Bench.Bare;

/// <summary>
/// Wire format of the bare echo baseline, shared by its client and server: an 8-byte header
/// (payload length, request id; both int32 little-endian) followed by the payload. The request id lets many calls be
/// in flight on one connection and their replies come back in any order; the server echoes the id unchanged.
/// </summary>
internal static class BareFrame
{
    /// <summary>Bytes before the payload: length (4) + request id (4).</summary>
    public const int HeaderSize = 8;

    /// <summary>
    /// Largest payload accepted by default (1 MiB): the benchmark sends 100 bytes, so anything near this is a broken
    /// peer, and the bound keeps one bad length from making the reader rent an arbitrarily large buffer.
    /// </summary>
    public const int DefaultMaxPayload = 1 << 20;

    public static void WriteHeader(Span<byte> destination, int payloadLength, int requestId)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, payloadLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], requestId);
    }

    /// <summary>Reads a header; throws <see cref="InvalidDataException"/> when the length is negative or over the limit.</summary>
    public static (int PayloadLength, int RequestId) ReadHeader(ReadOnlySpan<byte> source, int maxPayload)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if ((uint)length > (uint)maxPayload)
            throw new InvalidDataException($"bare echo frame declares a {length}-byte payload; the limit is {maxPayload} bytes");
        return (length, BinaryPrimitives.ReadInt32LittleEndian(source[4..]));
    }
}
