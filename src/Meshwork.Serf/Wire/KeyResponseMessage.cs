using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Wire;

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
