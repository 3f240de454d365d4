using Meshwork.Rpc;
using PolyType;

namespace Meshwork.Cli.Agent;

[GenerateShape]
public partial record MemberInfo(string Name, string Address, int Port, Dictionary<string, string> Tags, string Status, int ProtocolMin, int ProtocolMax, int ProtocolCur);

[GenerateShape]
public partial record MembersReply(List<MemberInfo> Members);

[GenerateShape]
public partial record EventRequest(string Name, byte[] Payload, bool Coalesce);

[GenerateShape]
public partial record QueryRequest(string Name, byte[] Payload, double TimeoutSeconds, List<string> Nodes, Dictionary<string, string> Tags, bool RequestAck);

/// <summary>One answer to a query: an ack or a response, from one node.</summary>
[GenerateShape]
public partial record QueryAnswer(string Kind, string From, byte[] Payload);

[GenerateShape]
public partial record JoinRequest(List<string> Addresses);

[GenerateShape]
public partial record KeyRequest(string Operation, string? Key);

[GenerateShape]
public partial record KeyReply(int Nodes, int Responses, int Errors, Dictionary<string, string> Messages, Dictionary<string, int> Keys, Dictionary<string, int> PrimaryKeys);

/// <summary>
/// The control API a running <c>meshwork agent</c> serves on its RPC address (default 127.0.0.1:7373); the other
/// CLI commands (members, event, query, join, leave, keys) are clients of it. It is a Meshwork RPC service like any other.
/// </summary>
[RpcService("Agent")]
public interface IAgentControl
{
    ValueTask<MembersReply> MembersAsync(CancellationToken ct = default);

    ValueTask EventAsync(EventRequest request, CancellationToken ct = default);

    IAsyncEnumerable<QueryAnswer> QueryAsync(QueryRequest request, CancellationToken ct = default);

    ValueTask<int> JoinAsync(JoinRequest request, CancellationToken ct = default);

    ValueTask LeaveAsync(CancellationToken ct = default);

    /// <summary>Cluster-wide key rotation: install, use, remove or list (serf's internal key queries).</summary>
    ValueTask<KeyReply> KeysAsync(KeyRequest request, CancellationToken ct = default);
}
