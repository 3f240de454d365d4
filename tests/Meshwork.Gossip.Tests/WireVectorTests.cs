using System.Text;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Tests;

/// <summary>Byte vectors captured from a serf 0.9.4 agent (serf-wire.md §9, §16).</summary>
public class WireVectorTests
{
    private const string PingHex = "0085a44e6f6465a5616c706861a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465a462657461aa536f75726365506f7274cd1f0b";

    [Fact]
    public void Ping_encodes_exactly_like_the_agent()
    {
        var bytes = PacketCodec.Encode(new PingMessage(1, "alpha", [127, 0, 0, 1], 7947, "beta"));
        Assert.Equal(PingHex, Hex.Of(bytes));
        Assert.Equal(66, bytes.Length);
    }

    [Fact]
    public void Ping_decodes()
    {
        var raw = Hex.Bytes(PingHex);
        var r = new MsgPackReader(raw.AsSpan(1));
        var ping = PingMessage.Read(ref r);
        Assert.Equal(("alpha", 1u, "beta", (ushort)7947), (ping.Node, ping.SeqNo, ping.SourceNode, ping.SourcePort));
        Assert.Equal([127, 0, 0, 1], ping.SourceAddr);
    }

    [Fact]
    public void Alive_encodes_exactly_like_the_agent()
    {
        var meta = Hex.Bytes("ff82a4726f6c65a3776562a26463a36c6162");
        var bytes = PacketCodec.Encode(new AliveMessage(1, "alpha", [127, 0, 0, 1], 7946, meta, [1, 5, 2, 2, 5, 5]));
        var expected = "0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461b2ff82a4726f6c65a3776562a26463a36c6162a44e6f6465a5616c706861a4506f7274cd1f0aa356736ea6010502020505";
        Assert.Equal(expected, Hex.Of(bytes));
        Assert.Equal(79, bytes.Length);
    }

    [Fact]
    public void Suspect_and_nack_encode_like_the_agent()
    {
        var suspect = PacketCodec.EncodeSuspect(new AccusationMessage(1, "beta", "alpha"));
        Assert.Equal("0383a446726f6da5616c706861ab496e6361726e6174696f6e01a44e6f6465a462657461", Hex.Of(suspect));
        Assert.Equal("0b81a55365714e6f0e", Hex.Of(PacketCodec.Encode(new NackMessage(14))));
    }

    [Fact]
    public void Push_pull_header_encodes_like_the_agent()
    {
        var w = new MsgPackWriter();
        new PushPullHeader(1, 588, true).Write(w);
        Assert.Equal("83a44a6f696ec3a54e6f64657301ac5573657253746174654c656ecd024c", Hex.Of(w.WrittenSpan));
    }

    [Fact]
    public void Lzw_decodes_a_captured_tcp_ack()
    {
        var plain = Lzw.Decompress(Hex.Bytes("0005083a05254c1e366fc29001566a4a99384ede340808"));
        Assert.Equal("0282a75061796c6f6164c0a55365714e6f0d", Hex.Of(plain));
    }

    [Fact]
    public void Lzw_compresses_exactly_like_go()
    {
        var compressed = Lzw.Compress(Hex.Bytes("0282a75061796c6f6164c0a55365714e6f0d"));
        Assert.Equal("0005083a05254c1e366fc29001566a4a99384ede340808", Hex.Of(compressed));
    }

    private const string GossipCompound = "07030045004400140486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a8ff81a3696478a130a44e6f6465a5616c706861a4506f7274cd1f0aa356736ea60105020205050486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a8ff81a3696478a131a44e6f6465a462657461a4506f7274cd1f0ba356736ea6010502020505080182a54c54696d6501a44e6f6465a462657461";

    [Fact]
    public void Lzw_decodes_a_captured_gossip_compound_and_it_splits_into_three_messages()
    {
        const string compressed = "000f0c0050040011001408182215840c1939a4fe0000106055123763c2c87113864e9a376e02906a52864e1854ff028d4a43064f2818a49cbc2153a654183670d0842105e58d1c3acd3e281865658e1b53010a081050a08042860e214aa46811a3468e1e418a246912a54a962e63c49c59869498923b7bfe0cba80a851a44a991640104050292654d2b4292352264db3680302";
        var plain = Lzw.Decompress(Hex.Bytes(compressed));
        Assert.Equal(GossipCompound, Hex.Of(plain));
        Assert.Equal(plain, Lzw.Decompress(Lzw.Compress(plain)));

        var (parts, truncated) = PacketCodec.SplitCompound(plain.AsMemory(1));
        Assert.Equal(0, truncated);
        Assert.Equal(3, parts.Count);
        var r = new MsgPackReader(parts[1].Span[1..]);
        var alive = AliveMessage.Read(ref r);
        Assert.Equal(("beta", (ushort)7947, 1u), (alive.Node, alive.Port, alive.Incarnation));
        Assert.Equal((byte)MessageType.User, parts[2].Span[0]);
    }

    [Fact]
    public void Lzw_round_trips_large_and_repetitive_inputs()
    {
        var rng = new Random(7);
        foreach (var size in new[] { 0, 1, 2, 300, 5000, 70000 })
        {
            var data = new byte[size];
            for (var i = 0; i < size; i++) { data[i] = (byte)(rng.Next(4) == 0 ? rng.Next(256) : 'a' + rng.Next(3)); }
            Assert.Equal(data, Lzw.Decompress(Lzw.Compress(data)));
        }
    }

    [Fact]
    public void Crc32_is_ieee()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        var framed = PacketCodec.AddCrc([7, 1, 2]);
        Assert.Equal(12, framed[0]);
        Assert.Equal(8, framed.Length);
    }

    private const string Key = "sUue/xcnj7zXU9xW72+XHx6I+1KW673lteab6Q8WMc4=";

    [Fact]
    public void Decrypts_a_captured_udp_ping()
    {
        var packet = Hex.Bytes("01108093959e74c48c1d6981d48cc0e3d971024917bcdefb4f2143062efba1e11edd72701b3bc0b71b308220ca51f7e2ce8152516f02f94774e2911c63c53228631dfe2b66604dfa093d0176bcfb783395fcd362d50cd1c82225fe43aa57b4");
        var plain = PacketEncryption.Decrypt(Keyring.FromBase64(Key).Keys, packet, []);
        Assert.Equal(PingHex, Hex.Of(plain));
    }

    [Fact]
    public void Decodes_a_captured_compressed_tcp_error_and_stream_encryption_binds_the_header()
    {
        // Plaintext of the agent's encrypted err reply (the capture was made with another key than the UDP one).
        var plain = Hex.Bytes("0982a4416c676f00a3427566da003e001b042a55448e9c3772b40158e1e40d88346ee6d009c3864d193220d694c93307c4983775d8602453668c9c3c70e880a083a60c883665e6cc0973a64c40");
        var inner = PacketCodec.Decompress(plain.AsSpan(1));
        Assert.Equal((byte)MessageType.Err, inner[0]);
        var r = new MsgPackReader(inner.AsSpan(1));
        Assert.Equal("No installed keys could decrypt the message", ErrorMessage.Read(ref r).Error);

        var ring = Keyring.FromBase64(Key);
        var header = PacketEncryption.StreamHeader(plain.Length + PacketEncryption.Overhead);
        Assert.Equal("0a0000006a", Hex.Of(header));
        var enc = PacketEncryption.Encrypt(ring.PrimaryKey, plain, header);
        Assert.Equal(plain, PacketEncryption.Decrypt(ring.Keys, enc, header));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => PacketEncryption.Decrypt(ring.Keys, enc, []));
    }

    [Fact]
    public void Encryption_round_trips_and_wrong_keys_fail()
    {
        var ring = Keyring.FromBase64(Key);
        var data = Encoding.UTF8.GetBytes("hello gossip");
        var enc = PacketEncryption.Encrypt(ring.PrimaryKey, data, []);
        Assert.Equal(data.Length + 29, enc.Length);
        Assert.Equal(data, PacketEncryption.Decrypt(ring.Keys, enc, []));
        var other = new Keyring([new byte[32]]);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => PacketEncryption.Decrypt(other.Keys, enc, []));
    }

    [Fact]
    public void Keyring_rotation_rules()
    {
        var k1 = new byte[32]; k1[0] = 1;
        var k2 = new byte[32]; k2[0] = 2;
        var ring = new Keyring([k1]);
        ring.AddKey(k2);
        ring.AddKey(k2);
        Assert.Equal(2, ring.Keys.Count);
        Assert.Throws<InvalidOperationException>(() => ring.RemoveKey(k1));
        ring.UseKey(k2);
        Assert.Equal(k2, ring.PrimaryKey);
        ring.RemoveKey(k1);
        Assert.Single(ring.Keys);
        Assert.Throws<ArgumentException>(() => ring.AddKey(new byte[10]));
    }

    [Fact]
    public void Strings_and_bytes_use_the_old_raw_family()
    {
        var w = new MsgPackWriter();
        w.WriteRaw(new byte[40]);
        Assert.Equal(0xda, w.WrittenSpan[0]);
        var w2 = new MsgPackWriter();
        w2.WriteUInt(3_000_000_000);
        Assert.Equal("ceb2d05e00", Hex.Of(w2.WrittenSpan));
        var w3 = new MsgPackWriter();
        w3.WriteBytes(null);
        w3.WriteBytes([]);
        Assert.Equal("c0a0", Hex.Of(w3.WrittenSpan));
    }

    [Fact]
    public void Reader_accepts_str8_and_bin()
    {
        var r = new MsgPackReader(Hex.Bytes("d90161c40162"));
        Assert.Equal("a", r.ReadString());
        Assert.Equal([0x62], r.ReadBytes());
    }
}
