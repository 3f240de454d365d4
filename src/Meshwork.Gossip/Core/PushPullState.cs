using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

/// <summary>Decoded push/pull content: all node states plus the delegate's opaque state.</summary>
internal sealed record PushPullState(bool Join, List<PushNodeState> Nodes, byte[] UserState)
{
    /// <summary>Encodes as <c>06 | header | states | user state</c> (before compression/encryption).</summary>
    public byte[] Encode()
    {
        var w = new MsgPackWriter(1024);
        w.WriteByte((byte)MessageType.PushPull);
        new PushPullHeader(Nodes.Count, UserState.Length, Join).Write(w);
        foreach (var n in Nodes) { n.Write(w); }
        w.WriteRawBytes(UserState);
        return w.ToArray();
    }

    /// <summary>Decodes a complete push/pull body (after the type byte).</summary>
    public static PushPullState Decode(ReadOnlySpan<byte> body)
    {
        var r = new MsgPackReader(body);
        var header = PushPullHeader.Read(ref r);
        var nodes = new List<PushNodeState>(header.Nodes);
        for (var i = 0; i < header.Nodes; i++) { nodes.Add(PushNodeState.Read(ref r)); }
        if (r.Remaining < header.UserStateLen) { throw new WireFormatException("truncated push/pull user state"); }
        var user = r.Rest[..header.UserStateLen].ToArray();
        return new PushPullState(header.Join, nodes, user);
    }
}
