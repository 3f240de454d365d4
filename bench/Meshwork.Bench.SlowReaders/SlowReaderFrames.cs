using System.Buffers.Binary;
using System.Text;

/// <summary>
/// Encodes Meshwork v1 echo request frames by hand (the protocol codec is internal), so that a raw socket can play
/// a client that sends requests and never reads: prefix, a MessagePack header map {0: id, 1: service, 2: method,
/// 5: serializer 1 = MessagePack}, and a MessagePack bin32 body.
/// </summary>
internal static class SlowReaderFrames
{
    public static byte[] EchoRequest(uint requestId, string service, string method, int payloadBytes)
    {
        var header = new List<byte> { 0x84, 0x00, 0xCE };
        header.AddRange(BigEndian(requestId));
        header.Add(0x01);
        AddString(header, service);
        header.Add(0x02);
        AddString(header, method);
        header.AddRange([0x05, 0x01]);

        int bodyLength = 5 + payloadBytes;
        var frame = new byte[12 + header.Count + bodyLength];
        frame[0] = (byte)'M';
        frame[1] = (byte)'W';
        frame[2] = 1;
        frame[3] = 1; // Request
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)(4 + header.Count + bodyLength));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), (uint)header.Count);
        header.CopyTo(frame, 12);
        int body = 12 + header.Count;
        frame[body] = 0xC6;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(body + 1), (uint)payloadBytes);
        frame.AsSpan(body + 5).Fill(0x5A);
        return frame;
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static void AddString(List<byte> header, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        header.Add((byte)(0xA0 | utf8.Length)); // fixstr: names here are shorter than 32 bytes
        header.AddRange(utf8);
    }
}
