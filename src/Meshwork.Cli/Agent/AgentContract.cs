using Meshwork.Rpc;
using PolyType;

namespace Meshwork.Cli.Agent;

/// <summary>One member as the agent sees it (the fields of <c>serf members</c>).</summary>
[GenerateShape]
internal partial record MemberInfo(string Name, string Address, int Port, Dictionary<string, string> Tags, string Status, int ProtocolMin, int ProtocolMax, int ProtocolCur);

/// <summary>Every member the agent knows.</summary>
[GenerateShape]
internal partial record MembersReply(List<MemberInfo> Members);

/// <summary>A user event to broadcast; <c>Coalesce</c> lets newer events of the same name replace older ones.</summary>
[GenerateShape]
internal partial record EventRequest(string Name, byte[] Payload, bool Coalesce);

/// <summary>A query with optional node and tag filters; a zero timeout means the cluster default.</summary>
[GenerateShape]
internal partial record QueryRequest(string Name, byte[] Payload, double TimeoutSeconds, List<string> Nodes, Dictionary<string, string> Tags, bool RequestAck);

/// <summary>One answer to a query: an ack or a response, from one node.</summary>
[GenerateShape]
internal partial record QueryAnswer(string Kind, string From, byte[] Payload);

/// <summary>Gossip addresses (ip or ip:port) to join through.</summary>
[GenerateShape]
internal partial record JoinRequest(List<string> Addresses);

/// <summary>A key operation (install, use, remove, list) and its base64 key where one is needed.</summary>
[GenerateShape]
internal partial record KeyRequest(string Operation, string? Key);

/// <summary>How many members answered a key operation, their errors, and for list the keys with their holder counts.</summary>
[GenerateShape]
internal partial record KeyReply(int Nodes, int Responses, int Errors, Dictionary<string, string> Messages, Dictionary<string, int> Keys, Dictionary<string, int> PrimaryKeys);

/// <summary>
/// The control API a running <c>meshwork agent</c> serves on its RPC address (default 127.0.0.1:7373); the other
/// CLI commands (members, event, query, join, leave, keys) are clients of it. It is a Meshwork RPC service like any other.
/// </summary>
[RpcService("Agent")]
internal interface IAgentControl
{
    ValueTask<MembersReply> MembersAsync(CancellationToken ct = default);

    ValueTask EventAsync(EventRequest request, CancellationToken ct = default);

    IAsyncEnumerable<QueryAnswer> QueryAsync(QueryRequest request, CancellationToken ct = default);

    ValueTask<int> JoinAsync(JoinRequest request, CancellationToken ct = default);

    ValueTask LeaveAsync(CancellationToken ct = default);

    /// <summary>Cluster-wide key rotation: install, use, remove or list (serf's internal key queries).</summary>
    ValueTask<KeyReply> KeysAsync(KeyRequest request, CancellationToken ct = default);
}
