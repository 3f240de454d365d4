namespace Meshwork.Tars.Tests.Calls;

/// <summary>TUP v2 files each value under a type name; vectors go out in Node's spelling (List&lt;T&gt;), which Node looks up exactly.</summary>
public sealed class TupTypeNameTests
{
    [Theory]
    [InlineData("list<int32>", "List<int32>")]
    [InlineData("List<int32>", "List<int32>")]
    [InlineData("list<char>", "list<char>")]
    [InlineData("list<list<char>>", "List<list<char>>")]
    [InlineData("map<string,list<MeshTest.Pair>>", "map<string,List<MeshTest.Pair>>")]
    [InlineData("list<map<int32,list<string>>>", "List<map<int32,List<string>>>")]
    [InlineData("int32", "int32")]
    public void Vector_type_names_are_written_as_node_reads_them(string given, string onTheWire)
    {
        using var writer = new TarsParameterWriter(TarsVersion.TupComplex);
        writer.Write(1, "v", given, 0, static (ref TarsWriter w, int t, int v) => w.WriteInt32(t, v));
        var reader = new TarsReader(writer.Buffer);
        reader.TryReadMapHeader(0, true, out int count);
        Assert.Equal(1, count);
        Assert.Equal("v", reader.ReadString(0, true));
        reader.TryReadMapHeader(1, true, out int inner);
        Assert.Equal(1, inner);
        Assert.Equal(onTheWire, reader.ReadString(0, true));
    }

    [Fact]
    public void Tup_v3_carries_no_type_names()
    {
        using var writer = new TarsParameterWriter(TarsVersion.Tup);
        writer.Write(1, "v", "list<int32>", 0, static (ref TarsWriter w, int t, int v) => w.WriteInt32(t, v));
        Assert.DoesNotContain("List", System.Text.Encoding.UTF8.GetString(writer.Buffer), StringComparison.Ordinal);
    }
}
