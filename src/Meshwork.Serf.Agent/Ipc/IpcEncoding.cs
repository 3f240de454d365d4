using System.Net.Sockets;
using Meshwork.Gossip.Wire;
using Meshwork.Serf.Agent.Events;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>Writes the records of serf's client RPC protocol (strings as str, byte slices as bin, as serf's codec does).</summary>
internal static class IpcEncoding
{
    public static void Header(MsgPackWriter w, ulong seq, string error)
    {
        w.WriteMapHeader(2);
        w.WriteStr("Seq");
        w.WriteUInt(seq);
        w.WriteStr("Error");
        w.WriteStr(error);
    }

    public static void Request(MsgPackWriter w, string command, ulong seq)
    {
        w.WriteMapHeader(2);
        w.WriteStr("Command");
        w.WriteStr(command);
        w.WriteStr("Seq");
        w.WriteUInt(seq);
    }

    public static void StringMap(MsgPackWriter w, IEnumerable<KeyValuePair<string, string>>? map)
    {
        if (map is null)
        {
            w.WriteNil();
            return;
        }
        var items = map.ToList();
        w.WriteMapHeader(items.Count);
        foreach (var (k, v) in items)
        {
            w.WriteStr(k);
            w.WriteStr(v);
        }
    }

    public static void Member(MsgPackWriter w, Member m)
    {
        w.WriteMapHeader(11);
        w.WriteStr("Name");
        w.WriteStr(m.Name);
        w.WriteStr("Addr");
        var ip = m.Address.AddressFamily == AddressFamily.InterNetworkV6 && m.Address.IsIPv4MappedToIPv6 ? m.Address.MapToIPv4() : m.Address;
        w.WriteBin(ip.GetAddressBytes());
        w.WriteStr("Port");
        w.WriteUInt((ulong)m.Port);
        w.WriteStr("Tags");
        StringMap(w, m.Tags);
        w.WriteStr("Status");
        w.WriteStr(AgentEventNames.Of(m.Status));
        w.WriteStr("ProtocolMin");
        w.WriteUInt(m.ProtocolMin);
        w.WriteStr("ProtocolMax");
        w.WriteUInt(m.ProtocolMax);
        w.WriteStr("ProtocolCur");
        w.WriteUInt(m.ProtocolCur);
        w.WriteStr("DelegateMin");
        w.WriteUInt(m.DelegateMin);
        w.WriteStr("DelegateMax");
        w.WriteUInt(m.DelegateMax);
        w.WriteStr("DelegateCur");
        w.WriteUInt(m.DelegateCur);
    }

    public static void Members(MsgPackWriter w, IReadOnlyCollection<Member> members)
    {
        w.WriteMapHeader(1);
        w.WriteStr("Members");
        w.WriteArrayHeader(members.Count);
        foreach (var m in members) Member(w, m);
    }
}
