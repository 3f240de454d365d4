namespace Meshwork.Tars;

/// <summary>
/// <c>ResponsePacket</c> (RequestF.tars): the reply to a TARS v1 call. Tags 1-7 always, 8 (<c>sResultDesc</c>) and 9
/// (<c>context</c>) written too, as the Node server does (the Node client dies on a reply without tag 7).
/// </summary>
/// <remarks>A struct: a client decodes one per reply, and only reads its fields.</remarks>
internal readonly struct TarsResponsePacket
{
    public TarsResponsePacket()
    {
    }

    public short Version { get; init; } = TarsVersion.Tars;
    public byte PacketType { get; init; }
    public int RequestId { get; init; }
    public int MessageType { get; init; }
    public int ReturnCode { get; init; }
    public ReadOnlyMemory<byte> Buffer { get; init; }
    public IReadOnlyDictionary<string, string> Status { get; init; } = TarsPacketMaps.Empty;
    public string ResultDescription { get; init; } = "";
    public IReadOnlyDictionary<string, string> Context { get; init; } = TarsPacketMaps.Empty;

    public static void Write(ref TarsWriter writer, short version, int requestId, int messageType, int returnCode, ReadOnlySpan<byte> buffer,
        IReadOnlyDictionary<string, string>? status, string? resultDescription, IReadOnlyDictionary<string, string>? context)
    {
        writer.WriteInt16(1, version);
        writer.WriteInt8(2, 0);
        writer.WriteInt32(3, requestId);
        writer.WriteInt32(4, messageType);
        writer.WriteInt32(5, returnCode);
        writer.WriteBytes(6, buffer);
        writer.WriteStringMap(7, status);
        writer.WriteString(8, resultDescription ?? "");
        writer.WriteStringMap(9, context);
    }

    /// <summary>Decodes a frame body; tags 1 and 3 are required, everything else defaults (Go omits tag 8 when empty).</summary>
    public static TarsResponsePacket Decode(ReadOnlyMemory<byte> body, int maxDepth)
    {
        var r = new TarsReader(body.Span, maxDepth);
        short version = r.ReadInt16(1, true);
        byte packetType = (byte)r.ReadInt8(2, false);
        int requestId = r.ReadInt32(3, true);
        int messageType = r.ReadInt32(4, false);
        int ret = r.ReadInt32(5, false);
        var buffer = r.ReadBytesSpan(6, false);
        var bufferMemory = body.Slice(r.Position - buffer.Length, buffer.Length);
        var status = TarsPacketMaps.Read(ref r, 7);
        string desc = r.ReadString(8, false);
        var context = TarsPacketMaps.Read(ref r, 9);
        return new TarsResponsePacket
        {
            Version = version,
            PacketType = packetType,
            RequestId = requestId,
            MessageType = messageType,
            ReturnCode = ret,
            Buffer = bufferMemory,
            Status = status,
            ResultDescription = desc,
            Context = context,
        };
    }
}
