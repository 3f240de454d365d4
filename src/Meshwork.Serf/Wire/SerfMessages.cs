using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

// Serf message bodies; map keys written in byte order of the Go field names (go-msgpack struct encoding).

internal sealed record JoinMessage(ulong LTime, string Node)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(2);
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("Node"); w.WriteString(Node);
    }

    public static JoinMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0; var node = "";
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "Node": node = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new JoinMessage(lt, node);
    }
}

internal sealed record LeaveMessage(ulong LTime, string Node, bool Prune)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(3);
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("Node"); w.WriteString(Node);
        w.Key("Prune"); w.WriteBool(Prune);
    }

    public static LeaveMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0; var node = ""; var prune = false;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "Node": node = r.ReadString(); break;
                case "Prune": prune = r.ReadBool(); break;
                default: r.Skip(); break;
            }
        }
        return new LeaveMessage(lt, node, prune);
    }
}

internal sealed record UserEventMessage(ulong LTime, string Name, byte[] Payload, bool CC)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(4);
        w.Key("CC"); w.WriteBool(CC);
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("Name"); w.WriteString(Name);
        w.Key("Payload"); w.WriteBytes(Payload);
    }

    public static UserEventMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0; var name = ""; byte[]? payload = null; var cc = false;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "Name": name = r.ReadString(); break;
                case "Payload": payload = r.ReadBytes(); break;
                case "CC": cc = r.ReadBool(); break;
                default: r.Skip(); break;
            }
        }
        return new UserEventMessage(lt, name, payload ?? [], cc);
    }
}

internal sealed record QueryMessage(
    ulong LTime, uint ID, byte[] Addr, ushort Port, string SourceNode, List<byte[]>? Filters,
    uint Flags, byte RelayFactor, long Timeout, string Name, byte[] Payload)
{
    public const uint FlagAck = 1;
    public const uint FlagNoBroadcast = 2;

    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(11);
        w.Key("Addr"); w.WriteBytes(Addr);
        w.Key("Filters");
        if (Filters is null) { w.WriteNil(); }
        else
        {
            w.WriteArrayHeader(Filters.Count);
            foreach (var f in Filters) { w.WriteBytes(f); }
        }
        w.Key("Flags"); w.WriteUInt(Flags);
        w.Key("ID"); w.WriteUInt(ID);
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("Name"); w.WriteString(Name);
        w.Key("Payload"); w.WriteBytes(Payload);
        w.Key("Port"); w.WriteUInt(Port);
        w.Key("RelayFactor"); w.WriteUInt(RelayFactor);
        w.Key("SourceNode"); w.WriteString(SourceNode);
        w.Key("Timeout"); w.WriteInt(Timeout);
    }

    public static QueryMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0; uint id = 0, flags = 0; byte[]? addr = null, payload = null; ushort port = 0; string src = "", name = "";
        List<byte[]>? filters = null; byte relay = 0; long timeout = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "ID": id = r.ReadUInt32(); break;
                case "Addr": addr = r.ReadBytes(); break;
                case "Port": port = r.ReadUInt16(); break;
                case "SourceNode": src = r.ReadString(); break;
                case "Filters":
                    var n = r.ReadArrayHeader();
                    if (n >= 0)
                    {
                        filters = new List<byte[]>(n);
                        for (var j = 0; j < n; j++) { filters.Add(r.ReadBytes() ?? []); }
                    }
                    break;
                case "Flags": flags = r.ReadUInt32(); break;
                case "RelayFactor": relay = r.ReadUInt8(); break;
                case "Timeout": timeout = r.ReadInt(); break;
                case "Name": name = r.ReadString(); break;
                case "Payload": payload = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new QueryMessage(lt, id, addr ?? [], port, src, filters, flags, relay, timeout, name, payload ?? []);
    }
}

internal sealed record QueryResponseMessage(ulong LTime, uint ID, string From, uint Flags, byte[]? Payload)
{
    public bool IsAck => (Flags & QueryMessage.FlagAck) != 0;

    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(5);
        w.Key("Flags"); w.WriteUInt(Flags);
        w.Key("From"); w.WriteString(From);
        w.Key("ID"); w.WriteUInt(ID);
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("Payload"); w.WriteBytes(Payload);
    }

    public static QueryResponseMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0; uint id = 0, flags = 0; var from = ""; byte[]? payload = null;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "ID": id = r.ReadUInt32(); break;
                case "From": from = r.ReadString(); break;
                case "Flags": flags = r.ReadUInt32(); break;
                case "Payload": payload = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new QueryResponseMessage(lt, id, from, flags, payload);
    }
}

/// <summary>One slot of the event ring as carried in push/pull.</summary>
internal sealed record UserEventsSlot(ulong LTime, List<(string Name, byte[] Payload)> Events);

internal sealed record PushPullMessage(
    ulong LTime, Dictionary<string, ulong> StatusLTimes, List<string> LeftMembers,
    ulong EventLTime, List<UserEventsSlot> Events, ulong QueryLTime)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(6);
        w.Key("EventLTime"); w.WriteUInt(EventLTime);
        w.Key("Events");
        w.WriteArrayHeader(Events.Count);
        foreach (var slot in Events)
        {
            w.WriteMapHeader(2);
            w.Key("Events");
            w.WriteArrayHeader(slot.Events.Count);
            foreach (var (name, payload) in slot.Events)
            {
                w.WriteMapHeader(2);
                w.Key("Name"); w.WriteString(name);
                w.Key("Payload"); w.WriteBytes(payload);
            }
            w.Key("LTime"); w.WriteUInt(slot.LTime);
        }
        w.Key("LTime"); w.WriteUInt(LTime);
        w.Key("LeftMembers");
        w.WriteArrayHeader(LeftMembers.Count);
        foreach (var m in LeftMembers) { w.WriteString(m); }
        w.Key("QueryLTime"); w.WriteUInt(QueryLTime);
        w.Key("StatusLTimes");
        w.WriteMapHeader(StatusLTimes.Count);
        foreach (var (k, v) in StatusLTimes) { w.WriteString(k); w.WriteUInt(v); }
    }

    public static PushPullMessage Read(ref MsgPackReader r)
    {
        ulong lt = 0, elt = 0, qlt = 0;
        var status = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var left = new List<string>();
        var events = new List<UserEventsSlot>();
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "EventLTime": elt = r.ReadUInt64(); break;
                case "QueryLTime": qlt = r.ReadUInt64(); break;
                case "StatusLTimes":
                    for (var j = r.ReadMapHeader(); j > 0; j--) { var k = r.ReadString(); status[k] = r.ReadUInt64(); }
                    break;
                case "LeftMembers":
                    for (var j = r.ReadArrayHeader(); j > 0; j--) { left.Add(r.ReadString()); }
                    break;
                case "Events":
                    for (var j = r.ReadArrayHeader(); j > 0; j--)
                    {
                        if (r.TryReadNil()) { continue; }
                        events.Add(ReadSlot(ref r));
                    }
                    break;
                default: r.Skip(); break;
            }
        }
        return new PushPullMessage(lt, status, left, elt, events, qlt);
    }

    private static UserEventsSlot ReadSlot(ref MsgPackReader r)
    {
        ulong lt = 0;
        var list = new List<(string, byte[])>();
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "LTime": lt = r.ReadUInt64(); break;
                case "Events":
                    for (var j = r.ReadArrayHeader(); j > 0; j--)
                    {
                        string name = ""; byte[]? payload = null;
                        for (var k = r.ReadMapHeader(); k > 0; k--)
                        {
                            switch (r.ReadString())
                            {
                                case "Name": name = r.ReadString(); break;
                                case "Payload": payload = r.ReadBytes(); break;
                                default: r.Skip(); break;
                            }
                        }
                        list.Add((name, payload ?? []));
                    }
                    break;
                default: r.Skip(); break;
            }
        }
        return new UserEventsSlot(lt, list);
    }
}

/// <summary>Relay header: where to forward the serf message that follows it.</summary>
internal sealed record RelayHeader(byte[] DestIP, int DestPort, string DestName)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(2);
        w.Key("DestAddr");
        w.WriteMapHeader(3);
        w.Key("IP"); w.WriteBytes(DestIP);
        w.Key("Port"); w.WriteInt(DestPort);
        w.Key("Zone"); w.WriteString("");
        w.Key("DestName"); w.WriteString(DestName);
    }

    public static RelayHeader Read(ref MsgPackReader r)
    {
        byte[]? ip = null; var port = 0; var name = "";
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "DestName": name = r.ReadString(); break;
                case "DestAddr":
                    for (var j = r.ReadMapHeader(); j > 0; j--)
                    {
                        switch (r.ReadString())
                        {
                            case "IP": ip = r.ReadBytes(); break;
                            case "Port": port = checked((int)r.ReadInt()); break;
                            default: r.Skip(); break;
                        }
                    }
                    break;
                default: r.Skip(); break;
            }
        }
        return new RelayHeader(ip ?? [], port, name);
    }
}

internal sealed record KeyResponseMessage(bool Result, string Message, List<string>? Keys, string PrimaryKey)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(4);
        w.Key("Keys");
        if (Keys is null) { w.WriteNil(); }
        else { w.WriteArrayHeader(Keys.Count); foreach (var k in Keys) { w.WriteString(k); } }
        w.Key("Message"); w.WriteString(Message);
        w.Key("PrimaryKey"); w.WriteString(PrimaryKey);
        w.Key("Result"); w.WriteBool(Result);
    }

    public static KeyResponseMessage Read(ref MsgPackReader r)
    {
        var result = false; string msg = "", primary = ""; List<string>? keys = null;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Result": result = r.ReadBool(); break;
                case "Message": msg = r.ReadString(); break;
                case "PrimaryKey": primary = r.ReadString(); break;
                case "Keys":
                    var n = r.ReadArrayHeader();
                    if (n >= 0) { keys = []; for (var j = 0; j < n; j++) { keys.Add(r.ReadString()); } }
                    break;
                default: r.Skip(); break;
            }
        }
        return new KeyResponseMessage(result, msg, keys, primary);
    }
}

internal static class SerfCodec
{
    public static byte[] Encode(SerfMessageType type, Action<MsgPackWriter> body)
    {
        var w = new MsgPackWriter();
        w.WriteByte((byte)type);
        body(w);
        return w.ToArray();
    }

    public delegate T BodyReader<out T>(ref MsgPackReader r);

    public static T Decode<T>(ReadOnlySpan<byte> body, BodyReader<T> read)
    {
        var r = new MsgPackReader(body);
        return read(ref r);
    }

    /// <summary>Key request payload: <c>{Key: raw bytes}</c>.</summary>
    public static byte[] ReadKeyRequest(ReadOnlySpan<byte> body)
    {
        var r = new MsgPackReader(body);
        byte[]? key = null;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            if (r.ReadString() == "Key") { key = r.ReadBytes(); } else { r.Skip(); }
        }
        return key ?? [];
    }

    public static byte[] KeyRequest(byte[] key) => Encode(SerfMessageType.KeyRequest, w =>
    {
        w.WriteMapHeader(1);
        w.Key("Key"); w.WriteBytes(key);
    });

    /// <summary>Reads Addr and Port of a serf Member (conflict response body); null for msgpack nil.</summary>
    public static System.Net.IPEndPoint? DecodeMemberEndPoint(ReadOnlySpan<byte> body)
    {
        var r = new MsgPackReader(body);
        if (r.TryReadNil()) { return null; }
        byte[]? addr = null;
        var port = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Addr": addr = r.ReadBytes(); break;
                case "Port": port = checked((int)r.ReadInt()); break;
                default: r.Skip(); break;
            }
        }
        return addr is { Length: 4 or 16 } ? new System.Net.IPEndPoint(new System.Net.IPAddress(addr), port) : null;
    }

    /// <summary>Tags as memberlist meta: <c>ff</c> + msgpack map (serf protocol ≥ 3).</summary>
    public static byte[] EncodeTags(IReadOnlyDictionary<string, string> tags)
    {
        var w = new MsgPackWriter();
        w.WriteByte(0xff);
        w.WriteMapHeader(tags.Count);
        foreach (var (k, v) in tags) { w.WriteString(k); w.WriteString(v); }
        return w.ToArray();
    }

    /// <summary>Decodes meta; legacy (non-ff) meta is the value of tag "role".</summary>
    public static Dictionary<string, string> DecodeTags(ReadOnlySpan<byte> meta)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (meta.Length == 0) { return tags; }
        if (meta[0] != 0xff)
        {
            tags["role"] = System.Text.Encoding.UTF8.GetString(meta);
            return tags;
        }
        var r = new MsgPackReader(meta[1..]);
        for (var i = r.ReadMapHeader(); i > 0; i--) { var k = r.ReadString(); tags[k] = r.ReadString(); }
        return tags;
    }
}
