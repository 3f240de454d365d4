using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Serf.Tests;

/// <summary>
/// Hand-built memberlist/serf wire bytes for poison inputs (independent of the production encoder, so a bug there
/// cannot hide a bug here). MessagePack in the go-msgpack dialect: str-family raw for strings and bytes, sorted keys.
/// </summary>
internal sealed class PoisonWire
{
    private readonly List<byte> _b = [];

    public static PoisonWire Start(params byte[] prefix)
    {
        var w = new PoisonWire();
        w._b.AddRange(prefix);
        return w;
    }

    public byte[] ToArray() => [.. _b];

    public PoisonWire Map(int n) { _b.Add((byte)(0x80 | n)); return this; }

    public PoisonWire Array(int n) { _b.Add((byte)(0x90 | n)); return this; }

    public PoisonWire Nil() { _b.Add(0xc0); return this; }

    public PoisonWire Bool(bool v) { _b.Add(v ? (byte)0xc3 : (byte)0xc2); return this; }

    public PoisonWire Str(string s) => Raw(Encoding.UTF8.GetBytes(s));

    public PoisonWire Raw(byte[] bytes)
    {
        if (bytes.Length < 32) { _b.Add((byte)(0xa0 | bytes.Length)); }
        else
        {
            _b.Add(0xda);
            _b.Add((byte)(bytes.Length >> 8));
            _b.Add((byte)bytes.Length);
        }
        _b.AddRange(bytes);
        return this;
    }

    public PoisonWire UInt(ulong v)
    {
        if (v < 128) { _b.Add((byte)v); return this; }
        _b.Add(0xcf);
        Span<byte> s = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(s, v);
        _b.AddRange(s.ToArray());
        return this;
    }

    public PoisonWire Bytes(params byte[] raw) { _b.AddRange(raw); return this; }

    public static readonly byte[] Loopback = [127, 0, 0, 1];
    public static readonly byte[] GoodVsn = [1, 5, 2, 2, 5, 5];

    /// <summary><c>04 alive{Addr, Incarnation, Meta, Node, Port, Vsn}</c>.</summary>
    public static byte[] Alive(string node, byte[] addr, int port, byte[] meta, byte[]? vsn)
    {
        var w = Start(4).Map(6)
            .Str("Addr").Raw(addr).Str("Incarnation").UInt(1).Str("Meta").Raw(meta).Str("Node").Str(node)
            .Str("Port").UInt((ulong)port).Str("Vsn");
        return (vsn is null ? w.Nil() : w.Raw(vsn)).ToArray();
    }

    /// <summary><c>03 userEvent{CC, LTime, Name, Payload}</c>.</summary>
    public static byte[] UserEvent(ulong ltime, string name) =>
        Start(3).Map(4).Str("CC").Bool(false).Str("LTime").UInt(ltime).Str("Name").Str(name).Str("Payload").Raw([]).ToArray();

    /// <summary><c>01 join{LTime, Node}</c>.</summary>
    public static byte[] JoinIntent(ulong ltime, string node) =>
        Start(1).Map(2).Str("LTime").UInt(ltime).Str("Node").Str(node).ToArray();

    /// <summary>A serf query body with type byte (<c>04 …</c>, without the memberlist <c>08</c>).</summary>
    public static byte[] Query(ulong ltime, uint id, string name, byte[] payload, byte[][]? filters, byte[] addr, int port)
    {
        var w = Start(4).Map(11).Str("Addr").Raw(addr).Str("Filters");
        if (filters is null) { w.Nil(); }
        else
        {
            w.Array(filters.Length);
            foreach (var f in filters) { w.Raw(f); }
        }
        return w.Str("Flags").UInt(0).Str("ID").UInt(id).Str("LTime").UInt(ltime).Str("Name").Str(name)
            .Str("Payload").Raw(payload).Str("Port").UInt((ulong)port).Str("RelayFactor").UInt(0)
            .Str("SourceNode").Str("poisoner").Str("Timeout").UInt(1_000_000_000).ToArray();
    }

    /// <summary><c>08 | serf message</c>.</summary>
    public static byte[] User(byte[] serf) => [8, .. serf];

    /// <summary><c>08 09 relayHeader{DestAddr{IP, Port, Zone}, DestName} | inner serf message</c>.</summary>
    public static byte[] Relay(byte[] destIp, int destPort, byte[] inner) =>
        [.. Start(8, 9).Map(2).Str("DestAddr").Map(3).Str("IP").Raw(destIp).Str("Port").UInt((ulong)destPort).Str("Zone").Str("")
            .Str("DestName").Str("victim").ToArray(), .. inner];

    /// <summary><c>07 n len… parts…</c> with the given (possibly lying) count.</summary>
    public static byte[] Compound(int announced, params byte[][] parts)
    {
        var w = Start(7, (byte)announced);
        foreach (var p in parts) { w.Bytes((byte)(p.Length >> 8), (byte)p.Length); }
        foreach (var p in parts) { w.Bytes(p); }
        return w.ToArray();
    }

    /// <summary>A TCP push/pull: <c>06 header{Join, Nodes, UserStateLen} nodeState</c>.</summary>
    public static byte[] PushPull(string node, int port, int state, byte[]? vsn)
    {
        var w = Start(6).Map(3).Str("Join").Bool(true).Str("Nodes").UInt(1).Str("UserStateLen").UInt(0)
            .Map(7).Str("Addr").Raw(Loopback).Str("Incarnation").UInt(1).Str("Meta").Raw([0xff, 0x80]).Str("Name").Str(node)
            .Str("Port").UInt((ulong)port).Str("State").UInt((ulong)state).Str("Vsn");
        return (vsn is null ? w.Nil() : w.Raw(vsn)).ToArray();
    }
}
