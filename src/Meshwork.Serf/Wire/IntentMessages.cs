using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

// Join and leave intents (member clock).

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
