namespace Meshwork.Gossip.Diagnostics;

/// <summary>Kinds of malformed input detected by the member list (stable names, usable as metric labels).</summary>
public static class MalformedInputKinds
{
    /// <summary>A datagram no installed key could decrypt (or that was not encrypted while a keyring is set).</summary>
    public const string Decrypt = "packet.decrypt";

    /// <summary>A datagram whose CRC-32 header does not match its content.</summary>
    public const string Crc = "packet.crc";

    /// <summary>An empty message: an empty datagram after the CRC header, an empty compound part, or nothing after decompression.</summary>
    public const string EmptyMessage = "packet.empty";

    /// <summary>A compound header that a Go peer mis-parses (≥ 128 parts, or a length table longer than the datagram).</summary>
    public const string Compound = "packet.compound";

    /// <summary>Compound/compress wrappers nested deeper than any peer produces.</summary>
    public const string Nesting = "packet.nesting";

    /// <summary>A compression wrapper with an unknown algorithm, invalid LZW data or output beyond the size bound.</summary>
    public const string Compression = "packet.compression";

    /// <summary>A message type the member list does not know.</summary>
    public const string UnknownType = "message.unknown-type";

    /// <summary>A body that is not valid MessagePack for its message type.</summary>
    public const string Undecodable = "message.undecodable";

    /// <summary>A protocol version vector (Vsn) with a length other than 6 or with values a Go peer cannot work with.</summary>
    public const string Vsn = "node.vsn";

    /// <summary>A node address that is not 4 or 16 bytes, or a port of 0.</summary>
    public const string Address = "node.address";

    /// <summary>Node meta larger than 512 bytes.</summary>
    public const string Meta = "node.meta";

    /// <summary>An empty or over-long node name.</summary>
    public const string NodeName = "node.name";

    /// <summary>A push/pull node state other than alive, suspect, dead or left.</summary>
    public const string NodeState = "node.state";

    /// <summary>A push/pull header with impossible sizes.</summary>
    public const string PushPull = "pushpull.header";

    /// <summary>A stream whose framing (type byte, encryption, compression, user message length) is invalid.</summary>
    public const string Stream = "stream.framing";

    /// <summary>
    /// A gossip stream that could not be secured with stream TLS (<see cref="MemberlistOptions.StreamTls"/>): a plain
    /// peer, an untrusted or missing certificate, or a handshake timeout; in either direction.
    /// </summary>
    public const string StreamTls = "stream.tls";
}
