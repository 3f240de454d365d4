namespace Meshwork.Serf;

/// <summary>Codec of the datagrams a <see cref="SerfNode"/> sends to other Meshwork nodes.</summary>
public enum GossipCodec
{
    /// <summary>serf 0.9.4's msgpack, to every peer (the default).</summary>
    MsgPack,

    /// <summary>
    /// <see cref="Gossip.Wire.CompactGossipCodec"/> to peers that announced it, msgpack to all others. Announced as
    /// memberlist protocol max 6, which serf agents ignore.
    /// </summary>
    Compact,
}
