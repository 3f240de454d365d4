using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

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
