using Meshwork.Tars;

namespace Meshwork.Tars.Tests.Codec;

/// <summary>MeshTest.Pair from the spec's harness IDL, hand-written the way generated code is expected to look.</summary>
public sealed class Pair : ITarsStruct<Pair>
{
    public int A { get; set; }
    public string S { get; set; } = "";
    public long Big { get; set; }
    public byte[] Raw { get; set; } = [];
    public Dictionary<string, string> Tags { get; set; } = [];

    public static string TarsTypeName => "MeshTest.Pair";

    public void WriteTo(ref TarsWriter writer)
    {
        writer.WriteInt32(0, A);
        writer.WriteString(1, S);
        writer.WriteInt64(2, Big);
        writer.WriteBytes(3, Raw);
        writer.WriteStringMap(4, Tags);
    }

    public static Pair ReadFrom(ref TarsReader reader)
    {
        var p = new Pair();
        p.A = reader.ReadInt32(0, true, p.A);
        p.S = reader.ReadString(1, false, p.S);
        p.Big = reader.ReadInt64(2, false, p.Big);
        p.Raw = reader.ReadBytes(3, false, p.Raw);
        p.Tags = reader.ReadStringMap(4, false);
        return p;
    }
}

/// <summary>A recursive struct: lets tests build arbitrarily deep nesting.</summary>
public sealed class Node : ITarsStruct<Node>
{
    public int Value { get; set; }
    public List<Node> Children { get; set; } = [];

    public static string TarsTypeName => "MeshTest.Node";

    public void WriteTo(ref TarsWriter writer)
    {
        writer.WriteInt32(0, Value);
        writer.WriteList(1, Children, static (ref TarsWriter w, int t, Node n) => w.WriteStruct(t, n));
    }

    public static Node ReadFrom(ref TarsReader reader)
    {
        var n = new Node { Value = reader.ReadInt32(0, true) };
        n.Children = reader.ReadList(1, false, static (ref TarsReader r, int t) => r.ReadStruct(t, true, new Node()));
        return n;
    }
}
