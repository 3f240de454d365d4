using System.Buffers.Binary;

namespace Meshwork.Tars;

/// <summary>
/// TARS over UDP: one frame per datagram, with the same 4-byte length prefix as over TCP (as TarsCpp and the Node
/// peer send it), so the prefix must equal the datagram's size. Nothing is split or reassembled: a packet that does not
/// fit one datagram cannot travel over UDP.
/// </summary>
internal static class TarsDatagram
{
    /// <summary>The largest UDP payload over IPv4 (65535 minus the 20-byte IP and 8-byte UDP headers).</summary>
    public const int MaxUdpPayload = 65_507;

    /// <summary>Receive buffer size: one byte more than any datagram, so none is ever truncated unseen.</summary>
    public const int ReceiveBufferSize = 65_536;

    /// <summary>Checks one received datagram; on failure <paramref name="problem"/> says what is wrong with it.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> datagram, int maxSize, out string problem)
    {
        if (datagram.Length > maxSize)
        {
            problem = $"a datagram of {datagram.Length} bytes exceeds the limit of {maxSize} bytes";
            return false;
        }
        if (datagram.Length < TarsFrame.MinLength)
        {
            problem = $"a datagram of {datagram.Length} bytes is shorter than the smallest frame ({TarsFrame.MinLength} bytes)";
            return false;
        }
        uint declared = BinaryPrimitives.ReadUInt32BigEndian(datagram);
        if (declared != (uint)datagram.Length)
        {
            problem = $"the frame length {declared} does not match the datagram's {datagram.Length} bytes (one frame per datagram)";
            return false;
        }
        problem = "";
        return true;
    }
}
