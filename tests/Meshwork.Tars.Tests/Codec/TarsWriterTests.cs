namespace Meshwork.Tars.Tests.Codec;

/// <summary>Byte vectors from the spec (§1, §4, §7.4): the writer must produce exactly what the real peers produce.</summary>
public sealed class TarsWriterTests
{
    [Theory]
    [InlineData(0L, "0c")]
    [InlineData(5L, "0005")]
    [InlineData(-1L, "00ff")]
    [InlineData(127L, "007f")]
    [InlineData(128L, "010080")]
    [InlineData(-32768L, "018000")]
    [InlineData(32768L, "0200008000")]
    [InlineData(2147483647L, "027fffffff")]
    [InlineData(2147483648L, "030000000080000000")]
    [InlineData(1234567890123L, "030000011f71fb04cb")]
    public void Integers_take_the_smallest_encoding_and_zero_is_the_ZERO_type(long value, string expected) =>
        Assert.Equal(expected, Hex.Write((ref TarsWriter w) => w.WriteInt64(0, value)));

    [Fact]
    public void Tags_from_15_use_the_two_byte_head() =>
        Assert.Equal("f2140001e240", Hex.Write((ref TarsWriter w) => w.WriteInt32(20, 123456)));

    [Fact]
    public void Tag_15_itself_takes_the_two_byte_form() =>
        Assert.Equal("f00f01", Hex.Write((ref TarsWriter w) => w.WriteInt32(15, 1)));

    [Fact]
    public void Tags_above_255_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Hex.Write((ref TarsWriter w) => w.WriteInt32(256, 1)));

    [Fact]
    public void Unsigned_byte_travels_with_short_rules() =>
        Assert.Equal("0100c8", Hex.Write((ref TarsWriter w) => w.WriteUInt8(0, 200)));

    [Fact]
    public void Bool_true_is_INT1_1_and_false_is_ZERO()
    {
        Assert.Equal("1001", Hex.Write((ref TarsWriter w) => w.WriteBool(1, true)));
        Assert.Equal("1c", Hex.Write((ref TarsWriter w) => w.WriteBool(1, false)));
    }

    [Fact]
    public void Strings_are_STRING1_up_to_255_bytes_and_STRING4_above()
    {
        Assert.Equal("160568656c6c6f", Hex.Write((ref TarsWriter w) => w.WriteString(1, "hello")));
        Assert.Equal("0600", Hex.Write((ref TarsWriter w) => w.WriteString(0, "")));
        string s255 = new('x', 255);
        Assert.StartsWith("06ff78", Hex.Write((ref TarsWriter w) => w.WriteString(0, s255)), StringComparison.Ordinal);
        string s300 = new('x', 300);
        Assert.StartsWith("070000012c78", Hex.Write((ref TarsWriter w) => w.WriteString(0, s300)), StringComparison.Ordinal);
        // Byte length, not character count: 100 three-byte characters are 300 bytes.
        string wide = new('中', 100);
        Assert.StartsWith("070000012c", Hex.Write((ref TarsWriter w) => w.WriteString(0, wide)), StringComparison.Ordinal);
    }

    [Fact]
    public void Byte_vectors_are_SIMPLE_LIST()
    {
        Assert.Equal("3d000003010203", Hex.Write((ref TarsWriter w) => w.WriteBytes(3, [1, 2, 3])));
        Assert.Equal("7d000c", Hex.Write((ref TarsWriter w) => w.WriteBytes(7, [])));
    }

    [Fact]
    public void Empty_maps_and_lists_are_the_head_and_a_ZERO_count()
    {
        Assert.Equal("980c", Hex.Write((ref TarsWriter w) => w.WriteStringMap(9, null)));
        Assert.Equal("a80c", Hex.Write((ref TarsWriter w) => w.WriteStringMap(10, new Dictionary<string, string>())));
        Assert.Equal("190c", Hex.Write((ref TarsWriter w) => w.WriteList(1, (List<int>?)null, static (ref TarsWriter x, int t, int v) => x.WriteInt32(t, v))));
    }

    [Fact]
    public void Floats_and_doubles_are_always_IEEE_bytes()
    {
        Assert.Equal("0400000000", Hex.Write((ref TarsWriter w) => w.WriteFloat(0, 0f)));
        Assert.Equal("153ff0000000000000", Hex.Write((ref TarsWriter w) => w.WriteDouble(1, 1.0)));
    }

    [Fact]
    public void The_mirror_struct_matches_the_Node_capture()
    {
        var pair = new Pair { A = 8, S = "hi", Big = 1234567890123, Raw = [3, 2, 1], Tags = new() { ["k"] = "v" } };
        Assert.Equal("0a000816026869230000011f71fb04cb3d00000303020148000106016b1601760b",
            Hex.Write((ref TarsWriter w) => w.WriteStruct(0, pair)));
    }

    [Fact]
    public void Add_arguments_match_the_Node_capture() =>
        Assert.Equal("10022028", Hex.Write((ref TarsWriter w) =>
        {
            w.WriteInt32(1, 2);
            w.WriteInt32(2, 40);
        }));
}
