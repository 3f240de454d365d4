namespace Meshwork.Tars.Tests.Codec;

public sealed class TarsReaderTests
{
    [Fact]
    public void Pair_round_trips_with_every_field_type()
    {
        var pair = new Pair { A = -7, S = "héllo 世界", Big = long.MinValue, Raw = [0, 255, 7], Tags = new() { ["a"] = "1", ["ü"] = "" } };
        var bytes = Hex.Bytes(Hex.Write((ref TarsWriter w) => w.WriteStruct(1, pair)));
        var reader = new TarsReader(bytes);
        var back = reader.ReadStruct(1, true, new Pair());
        Assert.True(reader.End);
        Assert.Equal(pair.A, back.A);
        Assert.Equal(pair.S, back.S);
        Assert.Equal(pair.Big, back.Big);
        Assert.Equal(pair.Raw, back.Raw);
        Assert.Equal(pair.Tags, back.Tags);
    }

    [Fact]
    public void Every_scalar_round_trips_at_small_and_extended_tags()
    {
        var hex = Hex.Write((ref TarsWriter w) =>
        {
            w.WriteBool(0, true);
            w.WriteInt8(1, -100);
            w.WriteUInt8(2, 250);
            w.WriteInt16(3, short.MinValue);
            w.WriteUInt16(4, 65535);
            w.WriteInt32(14, int.MaxValue);
            w.WriteUInt32(15, uint.MaxValue);
            w.WriteInt64(16, long.MaxValue);
            w.WriteFloat(200, 1.5f);
            w.WriteDouble(255, -2.25);
        });
        var r = new TarsReader(Hex.Bytes(hex));
        Assert.True(r.ReadBool(0, true));
        Assert.Equal(-100, r.ReadInt8(1, true));
        Assert.Equal(250, r.ReadUInt8(2, true));
        Assert.Equal(short.MinValue, r.ReadInt16(3, true));
        Assert.Equal(65535, r.ReadUInt16(4, true));
        Assert.Equal(int.MaxValue, r.ReadInt32(14, true));
        Assert.Equal(uint.MaxValue, r.ReadUInt32(15, true));
        Assert.Equal(long.MaxValue, r.ReadInt64(16, true));
        Assert.Equal(1.5f, r.ReadFloat(200, true));
        Assert.Equal(-2.25, r.ReadDouble(255, true));
        Assert.True(r.End);
    }

    [Fact]
    public void Narrow_wire_values_are_sign_extended()
    {
        var r = new TarsReader(Hex.Bytes("00ff"));
        Assert.Equal(-1L, r.ReadInt64(0, true));
    }

    [Fact]
    public void ZERO_reads_as_zero_for_every_numeric_type()
    {
        Assert.Equal(0.0, new TarsReader(Hex.Bytes("0c")).ReadDouble(0, true));
        Assert.Equal(0f, new TarsReader(Hex.Bytes("0c")).ReadFloat(0, true));
        Assert.False(new TarsReader(Hex.Bytes("0c")).ReadBool(0, true));
    }

    [Fact]
    public void A_wider_wire_type_than_the_declared_type_is_a_decode_error()
    {
        var e = Assert.Throws<TarsDecodeException>(() => new TarsReader(Hex.Bytes("1200000001")).ReadInt16(1, true));
        Assert.Contains("tag 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<TarsDecodeException>(() => new TarsReader(Hex.Bytes("0601 61")).ReadInt32(0, true));
    }

    [Fact]
    public void Unknown_fields_inside_a_struct_are_skipped_including_extended_tags()
    {
        // sBuffer of the spec's captured request: Pair at tag 1 with unknown tags 7 (string) and 20 (INT4).
        var r = new TarsReader(Hex.Bytes("1a00051601787607756e6b6e6f776ef2140001e2400b"));
        var p = r.ReadStruct(1, true, new Pair());
        Assert.Equal(5, p.A);
        Assert.Equal("x", p.S);
        Assert.True(r.End);
    }

    [Fact]
    public void Unknown_fields_of_every_type_and_nested_structs_are_skipped()
    {
        var hex = Hex.Write((ref TarsWriter w) =>
        {
            w.WriteInt32(0, 9);
            w.WriteFloat(5, 1);
            w.WriteDouble(6, 2);
            w.WriteString(7, new string('z', 400));
            w.WriteStringMap(8, new Dictionary<string, string> { ["k"] = "v" });
            w.WriteList(9, new[] { 1, 2, 3 }, static (ref TarsWriter x, int t, int v) => x.WriteInt32(t, v));
            w.WriteBytes(10, [1, 2]);
            w.WriteStruct(11, new Node { Value = 1, Children = [new Node { Value = 2 }] });
            w.WriteInt64(12, long.MaxValue);
            w.WriteInt64(40, 0);
            w.WriteString(41, "after");
        });
        var r = new TarsReader(Hex.Bytes(hex));
        Assert.Equal(9, r.ReadInt32(0, true));
        Assert.Equal("after", r.ReadString(41, true));
        Assert.True(r.End);
    }

    [Fact]
    public void Absent_optional_fields_keep_their_defaults_and_absent_required_fields_fail()
    {
        var r = new TarsReader(Hex.Bytes("0005"));
        Assert.Equal(5, r.ReadInt32(0, true));
        Assert.Equal("def", r.ReadString(1, false, "def"));
        Assert.Equal(42, r.ReadInt32(2, false, 42));
        var e = Assert.Throws<TarsDecodeException>(() => new TarsReader(Hex.Bytes("0005")).ReadInt32(2, true));
        Assert.Contains("required field tag 2 is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_with_a_larger_tag_is_left_for_the_next_read()
    {
        var r = new TarsReader(Hex.Bytes("2005"));
        Assert.Equal(0, r.ReadInt32(1, false));
        Assert.Equal(5, r.ReadInt32(2, true));
    }

    [Fact]
    public void A_list_of_bytes_is_accepted_for_a_byte_vector()
    {
        var r = new TarsReader(Hex.Bytes("39000300010c00ff"));
        Assert.Equal(new byte[] { 1, 0, 255 }, r.ReadBytes(3, true));
    }

    [Fact]
    public void Lists_and_maps_round_trip()
    {
        var list = new List<string> { "a", "", new string('b', 300) };
        var map = new Dictionary<int, Pair> { [1] = new Pair { A = 1 }, [-5] = new Pair { A = 2, S = "s" } };
        var hex = Hex.Write((ref TarsWriter w) =>
        {
            w.WriteList(0, list, static (ref TarsWriter x, int t, string v) => x.WriteString(t, v));
            w.WriteMap(1, map, static (ref TarsWriter x, int t, int k) => x.WriteInt32(t, k),
                static (ref TarsWriter x, int t, Pair v) => x.WriteStruct(t, v));
        });
        var r = new TarsReader(Hex.Bytes(hex));
        Assert.Equal(list, r.ReadList(0, true, static (ref TarsReader x, int t) => x.ReadString(t, true)));
        var back = r.ReadMap(1, true, static (ref TarsReader x, int t) => x.ReadInt32(t, true),
            static (ref TarsReader x, int t) => x.ReadStruct(t, true, new Pair()));
        Assert.Equal("s", back[-5].S);
        Assert.Equal(1, back[1].A);
    }

    [Theory]
    [InlineData("07ffffffff", "declared string length")]       // STRING4 claiming 4 GiB
    [InlineData("067f41", "declared string length")]           // STRING1 claiming 127 bytes, 1 present
    [InlineData("0d0002ffffffff", "negative byte-vector length")]
    [InlineData("0d00027fffffff", "declared byte vector length")]
    [InlineData("09027fffffff", "element count")]              // LIST claiming 2^31-1 elements
    [InlineData("0802ffffffff", "negative element count")]
    [InlineData("0e", "invalid type code 14")]
    [InlineData("0f", "invalid type code 15")]
    [InlineData("f2", "truncated")]
    [InlineData("0200", "needs 4 bytes")]
    [InlineData("0a0005", "buffer ended")]                      // struct without its STRUCT_END
    [InlineData("0d0105", "element head must be INT1")]
    public void Malformed_input_is_a_clear_decode_error(string hex, string expected)
    {
        var e = Assert.Throws<TarsDecodeException>(() =>
        {
            var r = new TarsReader(Hex.Bytes(hex));
            while (!r.End) r.SkipField();
        });
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_when_reading_and_when_skipping()
    {
        var bytes = new byte[2000];
        bytes.AsSpan().Fill(0x0A); // STRUCT_BEGIN at tag 0, 2000 levels deep
        var e = Assert.Throws<TarsDecodeException>(() => new TarsReader(bytes).SkipField());
        Assert.Contains("nesting deeper than the limit of 64", e.Message, StringComparison.Ordinal);

        var lists = new List<byte>();
        for (int i = 0; i < 1000; i++) lists.AddRange([0x09, 0x00, 0x01]); // LIST of one LIST of one LIST ...
        Assert.Throws<TarsDecodeException>(() => new TarsReader(lists.ToArray()).SkipField());

        var deep = new Node();
        var cur = deep;
        for (int i = 0; i < 100; i++)
        {
            var child = new Node { Value = i };
            cur.Children.Add(child);
            cur = child;
        }
        var encoded = Hex.Bytes(Hex.Write((ref TarsWriter w) => w.WriteStruct(0, deep)));
        Assert.Throws<TarsDecodeException>(() => new TarsReader(encoded).ReadStruct(0, true, new Node()));
        var ok = new TarsReader(encoded, maxDepth: 200).ReadStruct(0, true, new Node());
        Assert.Single(ok.Children);
    }
}
