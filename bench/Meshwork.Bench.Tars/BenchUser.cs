using Meshwork.Tars;

namespace Meshwork.Bench.Tars;

/// <summary>
/// The struct both codecs encode (node/tars-codec-bench.js defines the same one on @tars/stream), a typical business
/// record: <c>struct User { 0 require long id; 1 require string name; 2 optional string email; 3 optional int age;
/// 4 optional double score; 5 optional vector&lt;string&gt; roles; 6 optional map&lt;string,string&gt; attrs;
/// 7 optional vector&lt;byte&gt; avatar; 8 optional bool active; }</c>. Every field is written, as Node writes them,
/// so both sides produce the same bytes (the bench checks it).
/// </summary>
internal sealed class BenchUser : ITarsStruct<BenchUser>
{
    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);
    private static readonly TarsValueReader<string> ReadString = static (ref TarsReader r, int t) => r.ReadString(t, true);

    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Email { get; set; } = "";
    public int Age { get; set; }
    public double Score { get; set; }
    public List<string> Roles { get; set; } = [];
    public Dictionary<string, string> Attrs { get; set; } = [];
    public byte[] Avatar { get; set; } = [];
    public bool Active { get; set; }

    public static string TarsTypeName => "MeshBench.User";

    /// <summary>The sample value: the same literals as the Node script.</summary>
    public static BenchUser Sample() => new()
    {
        Id = 9_007_199_254_740_000, // large, still exact in a JS Number
        Name = "Zhang Wei 张伟",
        Email = "zhang.wei@example.com",
        Age = 34,
        Score = 98.625,
        Roles = ["admin", "editor", "viewer"],
        Attrs = new() { ["region"] = "ap-shanghai", ["tier"] = "gold", ["lang"] = "zh-CN" },
        Avatar = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 7))],
        Active = true,
    };

    public void WriteTo(ref TarsWriter writer)
    {
        writer.WriteInt64(0, Id);
        writer.WriteString(1, Name);
        writer.WriteString(2, Email);
        writer.WriteInt32(3, Age);
        writer.WriteDouble(4, Score);
        writer.WriteList(5, Roles, WriteString);
        writer.WriteStringMap(6, Attrs);
        writer.WriteBytes(7, Avatar);
        writer.WriteBool(8, Active);
    }

    public static BenchUser ReadFrom(ref TarsReader reader) => new()
    {
        Id = reader.ReadInt64(0, true),
        Name = reader.ReadString(1, true),
        Email = reader.ReadString(2, false),
        Age = reader.ReadInt32(3, false),
        Score = reader.ReadDouble(4, false),
        Roles = reader.ReadList(5, false, ReadString),
        Attrs = reader.ReadStringMap(6, false),
        Avatar = reader.ReadBytes(7, false),
        Active = reader.ReadBool(8, false),
    };
}
