using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

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
