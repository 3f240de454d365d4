using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

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
