using System.Text;

namespace Meshwork.Gossip.Wire;

/// <summary>
/// The key table of <see cref="CompactGossipCodec"/> version 1: every map key memberlist 0.2.2 and serf 0.9.4 put on
/// the wire, each given a one-byte id (its index, a positive fixint). Append only: an id never changes meaning.
/// </summary>
internal static class CompactKeys
{
    private static readonly string[] Names =
    [
        // memberlist messages (ping, indirect ping, ack, nack, err, suspect/dead, alive, push/pull, compress)
        "Node", "SeqNo", "SourceAddr", "SourceNode", "SourcePort", "Nack", "Port", "Target", "Payload", "Error",
        "From", "Incarnation", "Addr", "Meta", "Vsn", "Join", "Nodes", "UserStateLen", "Name", "State", "UserMsgLen",
        "Algo", "Buf",
        // serf messages (intents, user events, queries, responses, relays, push/pull, key management, coordinates)
        "LTime", "Prune", "CC", "ID", "Filters", "Flags", "RelayFactor", "Timeout", "EventLTime", "Events",
        "LeftMembers", "QueryLTime", "StatusLTimes", "DestAddr", "DestName", "IP", "Zone", "Key", "Keys", "Message",
        "PrimaryKey", "Result", "Adjustment", "Height", "Vec", "Tag", "Expr",
    ];

    private static readonly byte[][] Utf8 = Names.Select(Encoding.UTF8.GetBytes).ToArray();

    private static readonly Dictionary<string, byte> Ids = Names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => (byte)x.i, StringComparer.Ordinal);

    /// <summary>Number of keys in the table (all ids are below it, and below 128).</summary>
    public static int Count => Names.Length;

    /// <summary>The id of a key given as UTF-8 bytes, or -1 if it is not in the table.</summary>
    public static int IdOf(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length is 0 or > 16) { return -1; }
        Span<char> chars = stackalloc char[16];
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] >= 0x80) { return -1; }
            chars[i] = (char)utf8[i];
        }
        return Ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..utf8.Length], out var id) ? id : -1;
    }

    /// <summary>The UTF-8 bytes of key <paramref name="id"/>.</summary>
    /// <exception cref="WireFormatException">No key has that id.</exception>
    public static ReadOnlySpan<byte> NameOf(int id) =>
        (uint)id < (uint)Utf8.Length ? Utf8[id] : throw new WireFormatException($"compact key id {id} is not defined");
}
