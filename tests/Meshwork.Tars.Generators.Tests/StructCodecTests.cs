using Common;
using Everything;
using MeshTest;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>
/// The structs generated from Contracts/*.tars by the generator (running as this project's analyzer), encoded and
/// decoded with the Meshwork.Tars codec against bytes captured from the Node TARS peer (tars-wire.md §7.4.1).
/// </summary>
public sealed class StructCodecTests
{
    // The Pair argument of the golden "mirror request" frame: a=7, s="hi", big=0x11f71fb04cb, raw=01 02 03, tags={k: v}.
    private const string MirrorRequestPair = "1a000716026869230000011f71fb04cb3d000003010203480001" + "06016b1601760b";

    [Fact]
    public void Pair_encodes_byte_for_byte_like_the_node_peer()
    {
        var pair = new Pair { A = 7, S = "hi", Big = 0x11f71fb04cb, Raw = [1, 2, 3], Tags = new() { ["k"] = "v" } };
        Assert.Equal(MirrorRequestPair, Codec.StructHex(1, pair));
    }

    [Fact]
    public void Pair_decodes_the_node_peers_mirror_response()
    {
        var pair = Codec.ReadStruct<Pair>(0, "0a000816026869230000011f71fb04cb3d000003030201480001" + "06016b1601760b");
        Assert.Equal((8, "hi", 0x11f71fb04cbL), (pair.A, pair.S, pair.Big));
        Assert.Equal([3, 2, 1], pair.Raw);
        Assert.Equal("v", pair.Tags["k"]);
    }

    [Fact]
    public void Unknown_fields_from_a_newer_writer_are_skipped()
    {
        // Tag 7 (a string) and tag 20 (two-byte head F2 14) are unknown to Pair.
        var pair = Codec.ReadStruct<Pair>(1, "1a00051601787607756e6b6e6f776ef2140001e2400b");
        Assert.Equal((5, "x"), (pair.A, pair.S));
    }

    [Fact]
    public void Optional_fields_follow_the_cpp_omission_rule()
    {
        // Pair has no IDL defaults: a required int and the optional string and long are written; empty containers are not.
        Assert.Equal("0c16002c", Codec.FieldsHex(new Pair()));
        // Scalars: every optional field has a default; a field equal to it is left out, except bool, which is always written.
        Assert.Equal("0001", Codec.FieldsHex(new Scalars()));
        Assert.Equal("00015c", Codec.FieldsHex(new Scalars { I32 = 0 }));
        Assert.Equal("0c", Codec.FieldsHex(new Scalars { Flag = false }));
        Assert.Equal("0001b00a", Codec.FieldsHex(new Scalars { Color = Everything.Color.GREEN }));
    }

    [Fact]
    public void Absent_optional_fields_read_as_their_idl_defaults()
    {
        var scalars = Codec.ReadStruct<Scalars>(0, "0a0b");
        Assert.Equal((true, (sbyte)-5, (byte)200, (short)300, (ushort)60000, 7, 3000000000U, -1L), (scalars.Flag, scalars.I8, scalars.U8, scalars.I16, scalars.U16, scalars.I32, scalars.U32, scalars.I64));
        Assert.Equal((1.5f, 2.25, "dflt", Everything.Color.BLUE, Level.HIGH), (scalars.F32, scalars.F64, scalars.Text, scalars.Color, scalars.Level));
        Assert.Equal("UTC", Codec.ReadStruct<Stamp>(0, "0a0c0b").Zone);
    }

    [Fact]
    public void Missing_required_field_is_a_decode_error()
    {
        var error = Assert.Throws<TarsDecodeException>(() => Codec.ReadStruct<Containers>(0, "0a0b"));
        Assert.Contains("tag 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<TarsDecodeException>(() => Codec.ReadStruct<Stamp>(0, "0a16035554430b"));
    }

    [Fact]
    public void Every_container_shape_round_trips()
    {
        var value = new Containers
        {
            Ints = [1, -1, int.MaxValue],
            Raw = [0, 255],
            Names = ["a", "ü", new string('x', 300)],
            ById = new() { [1] = "one", [-2] = "minus two" },
            Groups = new() { ["g"] = [new Scalars { I32 = 42, Text = "t" }, new Scalars()] },
            Grid = [[1L, long.MinValue], []],
            Counts = new() { [new Stamp { Seconds = 5, Zone = "CET" }] = 3 },
            SmallNumbers = [0, 200, 255],
            Nested = new() { ["n"] = new() { ["pi"] = 3.14 } },
            Colors = [Everything.Color.@class, Everything.Color.RED],
            Stamp = new Stamp { Seconds = 99 },
            Last = 12345,
        };
        var copy = Codec.RoundTrip(value);
        Assert.Equal(value.Ints, copy.Ints);
        Assert.Equal(value.Raw, copy.Raw);
        Assert.Equal(value.Names, copy.Names);
        Assert.Equal(value.ById, copy.ById);
        Assert.Equal((42, "t"), (copy.Groups["g"][0].I32, copy.Groups["g"][0].Text));
        Assert.Equal(7, copy.Groups["g"][1].I32);
        Assert.Equal(value.Grid, copy.Grid);
        Assert.Equal(3, copy.Counts[new Stamp { Seconds = 5, Zone = "CET" }]);
        Assert.Equal(value.SmallNumbers, copy.SmallNumbers);
        Assert.Equal(3.14, copy.Nested["n"]["pi"]);
        Assert.Equal(value.Colors, copy.Colors);
        Assert.Equal((99L, "UTC"), (copy.Stamp.Seconds, copy.Stamp.Zone));
        Assert.Equal(12345, copy.Last);
        // Tag 255 takes the two-byte head F? FF.
        Assert.Contains("f1ff3039", Codec.FieldsHex(value), StringComparison.Ordinal);
    }

    [Fact]
    public void Key_fields_define_equality_hash_and_order()
    {
        var a = new Stamp { Seconds = 1, Zone = "A" };
        Assert.Equal(a, new Stamp { Seconds = 1, Zone = "A" });
        Assert.Equal(a.GetHashCode(), new Stamp { Seconds = 1, Zone = "A" }.GetHashCode());
        Assert.NotEqual(a, new Stamp { Seconds = 1, Zone = "B" });
        var sorted = new[] { new Stamp { Seconds = 2, Zone = "A" }, new Stamp { Seconds = 1, Zone = "B" }, a }.Order().ToList();
        Assert.Equal([(1L, "A"), (1L, "B"), (2L, "A")], sorted.Select(s => (s.Seconds, s.Zone)));
    }

    [Fact]
    public void Constants_nested_modules_and_keyword_names_are_generated()
    {
        Assert.Equal(100, EverythingConstants.MAX_ITEMS);
        Assert.Equal("hello \"world\"", EverythingConstants.GREETING);
        Assert.Equal(4294967295U, EverythingConstants.BIG);
        Assert.True(EverythingConstants.ENABLED);
        Assert.Equal(0.5, EverythingConstants.RATIO);
        Assert.Equal(2L, Everything.Inner.InnerConstants.DEPTH);
        Assert.Equal(12, (int)Everything.Color.@class);
        Assert.Equal(3, new Keywords().Event);
        Assert.Equal("Everything.Inner.Leaf", Everything.Inner.Leaf.TarsTypeName);
        var leaf = Codec.RoundTrip(new Everything.Inner.Leaf { S = new Scalars { I8 = 9 } });
        Assert.Equal(9, leaf.S.I8);
    }
}
