using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

// Queries and their responses.

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
