using System.Buffers;
using System.Buffers.Binary;

namespace Meshwork.Tars;

/// <summary>
/// The TARS frame: a u32 big-endian total length that counts its own 4 bytes, then one packet body.
/// </summary>
internal static class TarsFrame
{
    public const int PrefixLength = 4;

    /// <summary>Smallest sensible frame: the prefix plus one head byte (C++ rejects shorter ones).</summary>
    public const int MinLength = 5;

    /// <summary>Writes a frame whose body is produced by <paramref name="writeBody"/> into <paramref name="buffer"/> (cleared first).</summary>
    public static void Compose<TState>(TarsBufferWriter buffer, TState state, BodyWriter<TState> writeBody, int maxPacketSize)
    {
        buffer.Clear();
        buffer.GetSpan(PrefixLength)[..PrefixLength].Clear();
        buffer.Advance(PrefixLength);
        var writer = new TarsWriter(buffer);
        writeBody(ref writer, state);
        int total = buffer.WrittenCount;
        if (total > maxPacketSize)
            throw new TarsPacketTooLargeException(total, maxPacketSize);
        BinaryPrimitives.WriteInt32BigEndian(buffer.WrittenBuffer(), total);
    }

    /// <summary>
    /// Appends a frame after what <paramref name="buffer"/> already holds (frames of several calls then leave in one
    /// write). A frame over <paramref name="maxPacketSize"/> is taken back out and throws <see cref="TarsPacketTooLargeException"/>;
    /// so does any exception of <paramref name="writeBody"/>, leaving the buffer as it was.
    /// </summary>
    /// <returns>The frame's size, length prefix included.</returns>
    public static int Append<TState>(TarsBufferWriter buffer, TState state, BodyWriter<TState> writeBody, int maxPacketSize)
    {
        int start = buffer.WrittenCount;
        try
        {
            buffer.GetSpan(PrefixLength)[..PrefixLength].Clear();
            buffer.Advance(PrefixLength);
            var writer = new TarsWriter(buffer);
            writeBody(ref writer, state);
            int total = buffer.WrittenCount - start;
            if (total > maxPacketSize) throw new TarsPacketTooLargeException(total, maxPacketSize);
            BinaryPrimitives.WriteInt32BigEndian(buffer.WrittenBuffer()[start..], total);
            return total;
        }
        catch
        {
            buffer.Truncate(start);
            throw;
        }
    }

    public delegate void BodyWriter<TState>(ref TarsWriter writer, TState state);

    /// <summary>
    /// Reads the length of the next frame if its prefix is complete. Throws <see cref="TarsDecodeException"/> for an
    /// impossible length (below <see cref="MinLength"/> or above <paramref name="maxPacketSize"/>).
    /// </summary>
    public static bool TryReadLength(in ReadOnlySequence<byte> input, int maxPacketSize, out int length)
    {
        length = 0;
        if (input.Length < PrefixLength) return false;
        Span<byte> prefix = stackalloc byte[PrefixLength];
        input.Slice(0, PrefixLength).CopyTo(prefix);
        uint declared = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (declared < MinLength) throw new TarsDecodeException($"frame length {declared} is below the minimum of {MinLength}");
        if (declared > (uint)maxPacketSize) throw new TarsDecodeException($"frame length {declared} exceeds the maximum packet size of {maxPacketSize} bytes");
        length = (int)declared;
        return true;
    }
}

/// <summary>An outgoing packet is larger than the configured maximum packet size.</summary>
public sealed class TarsPacketTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="size">The packet's size in bytes, length prefix included.</param>
    /// <param name="limit">The limit.</param>
    public TarsPacketTooLargeException(int size, int limit)
        : base($"TARS packet of {size} bytes exceeds the maximum packet size of {limit} bytes")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The packet's size in bytes.</summary>
    public int Size { get; }

    /// <summary>The limit it exceeded.</summary>
    public int Limit { get; }
}
