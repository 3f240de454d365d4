namespace Meshwork.Gossip.Wire;

// Bodies of memberlist messages. Keys are written in byte order of their names, as go-msgpack does.

/// <summary>Direct probe.</summary>
internal sealed record PingMessage(uint SeqNo, string Node, byte[]? SourceAddr, ushort SourcePort, string SourceNode)
{
    public void Write(MsgPackWriter w)
    {
        var n = 2 + (SourceAddr is { Length: > 0 } ? 1 : 0) + (SourceNode.Length > 0 ? 1 : 0) + (SourcePort != 0 ? 1 : 0);
        w.WriteMapHeader(n);
        w.Key("Node"); w.WriteString(Node);
        w.Key("SeqNo"); w.WriteUInt(SeqNo);
        if (SourceAddr is { Length: > 0 }) { w.Key("SourceAddr"); w.WriteRaw(SourceAddr); }
        if (SourceNode.Length > 0) { w.Key("SourceNode"); w.WriteString(SourceNode); }
        if (SourcePort != 0) { w.Key("SourcePort"); w.WriteUInt(SourcePort); }
    }

    public static PingMessage Read(ref MsgPackReader r)
    {
        uint seq = 0; string node = "", srcNode = ""; byte[]? addr = null; ushort port = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "SeqNo": seq = r.ReadUInt32(); break;
                case "Node": node = r.ReadString(); break;
                case "SourceAddr": addr = r.ReadBytes(); break;
                case "SourcePort": port = r.ReadUInt16(); break;
                case "SourceNode": srcNode = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new PingMessage(seq, node, addr, port, srcNode);
    }
}

/// <summary>Request to probe a target on the sender's behalf.</summary>
internal sealed record IndirectPingMessage(uint SeqNo, byte[] Target, ushort Port, string Node, bool Nack, byte[]? SourceAddr, ushort SourcePort, string SourceNode)
{
    public void Write(MsgPackWriter w)
    {
        var n = 5 + (SourceAddr is { Length: > 0 } ? 1 : 0) + (SourceNode.Length > 0 ? 1 : 0) + (SourcePort != 0 ? 1 : 0);
        w.WriteMapHeader(n);
        w.Key("Nack"); w.WriteBool(Nack);
        w.Key("Node"); w.WriteString(Node);
        w.Key("Port"); w.WriteUInt(Port);
        w.Key("SeqNo"); w.WriteUInt(SeqNo);
        if (SourceAddr is { Length: > 0 }) { w.Key("SourceAddr"); w.WriteRaw(SourceAddr); }
        if (SourceNode.Length > 0) { w.Key("SourceNode"); w.WriteString(SourceNode); }
        if (SourcePort != 0) { w.Key("SourcePort"); w.WriteUInt(SourcePort); }
        w.Key("Target"); w.WriteBytes(Target);
    }

    public static IndirectPingMessage Read(ref MsgPackReader r)
    {
        uint seq = 0; string node = "", srcNode = ""; byte[]? addr = null, target = null; ushort port = 0, srcPort = 0; var nack = false;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "SeqNo": seq = r.ReadUInt32(); break;
                case "Target": target = r.ReadBytes(); break;
                case "Port": port = r.ReadUInt16(); break;
                case "Node": node = r.ReadString(); break;
                case "Nack": nack = r.ReadBool(); break;
                case "SourceAddr": addr = r.ReadBytes(); break;
                case "SourcePort": srcPort = r.ReadUInt16(); break;
                case "SourceNode": srcNode = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new IndirectPingMessage(seq, target ?? [], port, node, nack, addr, srcPort, srcNode);
    }
}

/// <summary>Positive probe answer; the payload carries the ping delegate's data (serf: Vivaldi coordinate).</summary>
internal sealed record AckMessage(uint SeqNo, byte[]? Payload)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(2);
        w.Key("Payload"); w.WriteBytes(Payload);
        w.Key("SeqNo"); w.WriteUInt(SeqNo);
    }

    public static AckMessage Read(ref MsgPackReader r)
    {
        uint seq = 0; byte[]? payload = null;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "SeqNo": seq = r.ReadUInt32(); break;
                case "Payload": payload = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new AckMessage(seq, payload);
    }
}

/// <summary>Negative answer from an indirect prober (Lifeguard): "I could not reach the target either".</summary>
internal sealed record NackMessage(uint SeqNo)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(1);
        w.Key("SeqNo"); w.WriteUInt(SeqNo);
    }

    public static NackMessage Read(ref MsgPackReader r)
    {
        uint seq = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            if (r.ReadString() == "SeqNo") { seq = r.ReadUInt32(); } else { r.Skip(); }
        }
        return new NackMessage(seq);
    }
}

/// <summary>Error reply on a stream.</summary>
internal sealed record ErrorMessage(string Error)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(1);
        w.Key("Error"); w.WriteString(Error);
    }

    public static ErrorMessage Read(ref MsgPackReader r)
    {
        var e = "";
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            if (r.ReadString() == "Error") { e = r.ReadString(); } else { r.Skip(); }
        }
        return new ErrorMessage(e);
    }
}

/// <summary>Suspect and dead share the same shape: {From, Incarnation, Node}.</summary>
internal sealed record AccusationMessage(uint Incarnation, string Node, string From)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(3);
        w.Key("From"); w.WriteString(From);
        w.Key("Incarnation"); w.WriteUInt(Incarnation);
        w.Key("Node"); w.WriteString(Node);
    }

    public static AccusationMessage Read(ref MsgPackReader r)
    {
        uint inc = 0; string node = "", from = "";
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Incarnation": inc = r.ReadUInt32(); break;
                case "Node": node = r.ReadString(); break;
                case "From": from = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new AccusationMessage(inc, node, from);
    }
}

/// <summary>Announcement that a node is alive with the given incarnation, address, meta and versions.</summary>
internal sealed record AliveMessage(uint Incarnation, string Node, byte[] Addr, ushort Port, byte[]? Meta, byte[]? Vsn)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(6);
        w.Key("Addr"); w.WriteBytes(Addr);
        w.Key("Incarnation"); w.WriteUInt(Incarnation);
        w.Key("Meta"); w.WriteBytes(Meta);
        w.Key("Node"); w.WriteString(Node);
        w.Key("Port"); w.WriteUInt(Port);
        w.Key("Vsn"); w.WriteBytes(Vsn);
    }

    public static AliveMessage Read(ref MsgPackReader r)
    {
        uint inc = 0; string node = ""; byte[]? addr = null, meta = null, vsn = null; ushort port = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Incarnation": inc = r.ReadUInt32(); break;
                case "Node": node = r.ReadString(); break;
                case "Addr": addr = r.ReadBytes(); break;
                case "Port": port = r.ReadUInt16(); break;
                case "Meta": meta = r.ReadBytes(); break;
                case "Vsn": vsn = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new AliveMessage(inc, node, addr ?? [], port, meta, vsn);
    }
}

/// <summary>Header of a push/pull exchange.</summary>
internal sealed record PushPullHeader(int Nodes, int UserStateLen, bool Join)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(3);
        w.Key("Join"); w.WriteBool(Join);
        w.Key("Nodes"); w.WriteInt(Nodes);
        w.Key("UserStateLen"); w.WriteInt(UserStateLen);
    }

    public static PushPullHeader Read(ref MsgPackReader r)
    {
        int nodes = 0, len = 0; var join = false;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Nodes": nodes = checked((int)r.ReadInt()); break;
                case "UserStateLen": len = checked((int)r.ReadInt()); break;
                case "Join": join = r.ReadBool(); break;
                default: r.Skip(); break;
            }
        }
        if (nodes < 0 || len < 0) { throw new WireFormatException("negative push/pull sizes"); }
        return new PushPullHeader(nodes, len, join);
    }
}

/// <summary>One node's state inside a push/pull.</summary>
internal sealed record PushNodeState(string Name, byte[] Addr, ushort Port, byte[]? Meta, uint Incarnation, NodeStatus State, byte[]? Vsn)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(7);
        w.Key("Addr"); w.WriteBytes(Addr);
        w.Key("Incarnation"); w.WriteUInt(Incarnation);
        w.Key("Meta"); w.WriteBytes(Meta);
        w.Key("Name"); w.WriteString(Name);
        w.Key("Port"); w.WriteUInt(Port);
        w.Key("State"); w.WriteInt((int)State);
        w.Key("Vsn"); w.WriteBytes(Vsn);
    }

    public static PushNodeState Read(ref MsgPackReader r)
    {
        uint inc = 0; string name = ""; byte[]? addr = null, meta = null, vsn = null; ushort port = 0; var state = NodeStatus.Alive;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Name": name = r.ReadString(); break;
                case "Addr": addr = r.ReadBytes(); break;
                case "Port": port = r.ReadUInt16(); break;
                case "Meta": meta = r.ReadBytes(); break;
                case "Incarnation": inc = r.ReadUInt32(); break;
                case "State": state = (NodeStatus)r.ReadInt(); break;
                case "Vsn": vsn = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new PushNodeState(name, addr ?? [], port, meta, inc, state, vsn);
    }
}

/// <summary>Compression wrapper body.</summary>
internal sealed record CompressMessage(byte Algo, byte[] Buf)
{
    public void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(2);
        w.Key("Algo"); w.WriteUInt(Algo);
        w.Key("Buf"); w.WriteBytes(Buf);
    }

    public static CompressMessage Read(ref MsgPackReader r)
    {
        byte algo = 0; byte[]? buf = null;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Algo": algo = r.ReadUInt8(); break;
                case "Buf": buf = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }
        return new CompressMessage(algo, buf ?? []);
    }
}
