namespace Meshwork.Tars;

/// <summary>
/// <c>RequestPacket</c> (RequestF.tars): a call from client to server, and also the reply of a TUP call. All ten tags
/// are always written (the Node server drops a request without tags 9 and 10).
/// </summary>
internal sealed class TarsRequestPacket
{
    public short Version { get; init; } = TarsVersion.Tars;
    public byte PacketType { get; init; }
    public int MessageType { get; init; }
    public int RequestId { get; init; }
    public string ServantName { get; init; } = "";
    public string FunctionName { get; init; } = "";
    public ReadOnlyMemory<byte> Buffer { get; init; }
    public int Timeout { get; init; }
    public IReadOnlyDictionary<string, string> Context { get; init; } = TarsPacketMaps.Empty;
    public IReadOnlyDictionary<string, string> Status { get; init; } = TarsPacketMaps.Empty;

    /// <summary>Writes the ten fields (no struct wrapper: a frame body is a top-level buffer).</summary>
    public void WriteTo(ref TarsWriter writer) => Write(ref writer, Version, PacketType, MessageType, RequestId, ServantName, FunctionName,
        Buffer.Span, Timeout, Context, Status);

    /// <summary>Writes a request packet from its parts, so callers can pass a pooled buffer span without building an object.</summary>
    public static void Write(ref TarsWriter writer, short version, byte packetType, int messageType, int requestId, string servant, string function,
        ReadOnlySpan<byte> buffer, int timeout, IReadOnlyDictionary<string, string>? context, IReadOnlyDictionary<string, string>? status)
    {
        writer.WriteInt16(1, version);
        writer.WriteInt8(2, (sbyte)packetType);
        writer.WriteInt32(3, messageType);
        writer.WriteInt32(4, requestId);
        writer.WriteString(5, servant);
        writer.WriteString(6, function);
        writer.WriteBytes(7, buffer);
        writer.WriteInt32(8, timeout);
        writer.WriteStringMap(9, context);
        writer.WriteStringMap(10, status);
    }

    /// <summary>
    /// Decodes a frame body. Version, request id, servant and function are required; the others default (a lenient
    /// reader: C++ and Go write all ten, and an old or hand-written client that omits the maps is still understood).
    /// <see cref="Buffer"/> is a slice of <paramref name="body"/>.
    /// </summary>
    /// <param name="body">The frame body.</param>
    /// <param name="maxDepth">Nesting limit.</param>
    /// <param name="names">A server's served names, returned as cached strings (null: decode every name).</param>
    public static TarsRequestPacket Decode(ReadOnlyMemory<byte> body, int maxDepth, TarsNameTable? names = null)
    {
        var r = new TarsReader(body.Span, maxDepth);
        short version = r.ReadInt16(1, true);
        byte packetType = (byte)r.ReadInt8(2, false);
        int messageType = r.ReadInt32(3, false);
        int requestId = r.ReadInt32(4, true);
        string servant = names is null ? r.ReadString(5, true) : names.Get(r.ReadStringUtf8(5, true));
        string function = names is null ? r.ReadString(6, true) : names.Get(r.ReadStringUtf8(6, true));
        var buffer = r.ReadBytesSpan(7, false);
        var bufferMemory = body.Slice(r.Position - buffer.Length, buffer.Length);
        int timeout = r.ReadInt32(8, false);
        var context = TarsPacketMaps.Read(ref r, 9);
        var status = TarsPacketMaps.Read(ref r, 10);
        return new TarsRequestPacket
        {
            Version = version,
            PacketType = packetType,
            MessageType = messageType,
            RequestId = requestId,
            ServantName = servant,
            FunctionName = function,
            Buffer = bufferMemory,
            Timeout = timeout,
            Context = context,
            Status = status,
        };
    }
}
