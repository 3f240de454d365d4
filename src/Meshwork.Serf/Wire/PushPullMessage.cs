using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

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
