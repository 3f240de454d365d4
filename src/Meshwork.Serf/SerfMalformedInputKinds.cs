namespace Meshwork.Serf;

/// <summary>
/// Kinds of malformed serf input (stable names, usable as metric labels), counted in
/// <see cref="SerfNode.MalformedInput"/> next to the member list's own kinds.
/// </summary>
public static class SerfMalformedInputKinds
{
    /// <summary>A serf message that is not valid MessagePack for its type.</summary>
    public const string Undecodable = "serf.undecodable";

    /// <summary>A serf message type this node does not handle at top level.</summary>
    public const string UnknownType = "serf.unknown-type";

    /// <summary>A Lamport time so large that Go peers' clocks would wrap around.</summary>
    public const string LamportTime = "serf.ltime";

    /// <summary>A query with a timeout outside [0, 24 h] (an unusable reply address counts as <c>node.address</c>).</summary>
    public const string Query = "serf.query";

    /// <summary>A query filter element that is empty (crashes Go peers), of an unknown type or undecodable.</summary>
    public const string QueryFilter = "serf.query.filter";

    /// <summary>An install/use/remove-key query without a key request payload (crashes Go peers).</summary>
    public const string KeyQueryPayload = "serf.query.key-payload";

    /// <summary>A relay that is not a well-formed query response for a real address.</summary>
    public const string Relay = "serf.relay";

    /// <summary>A key-query or conflict-query answer that cannot be read.</summary>
    public const string Response = "serf.response";
}
