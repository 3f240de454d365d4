using System.Net;
using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Meshwork.Serf;

namespace Meshwork.Cli.Agent;

/// <summary>Serves <see cref="IAgentControl"/> from a running <see cref="SerfNode"/>.</summary>
internal sealed class AgentControlService(SerfNode node, Func<Task> leave) : IAgentControl
{
    public ValueTask<MembersReply> MembersAsync(CancellationToken ct) =>
        new(new MembersReply(node.Members().Select(ToInfo).ToList()));

    internal static MemberInfo ToInfo(Member m) => new(m.Name, m.Address.ToString(), m.Port, new Dictionary<string, string>(m.Tags),
        m.Status.ToString().ToLowerInvariant(), m.ProtocolMin, m.ProtocolMax, m.ProtocolCur);

    public ValueTask EventAsync(EventRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Name)) throw new RpcException(StatusCode.InvalidArgument, "event name is required");
        try
        {
            node.UserEvent(request.Name, request.Payload ?? [], request.Coalesce);
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, ex.Message);
        }
        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<QueryAnswer> QueryAsync(QueryRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Name)) throw new RpcException(StatusCode.InvalidArgument, "query name is required");
        var parameters = new QueryParams { RequestAck = request.RequestAck };
        parameters.FilterNodes.AddRange(request.Nodes ?? []);
        foreach (var (k, v) in request.Tags ?? []) parameters.FilterTags[k] = v;
        if (request.TimeoutSeconds > 0) parameters.Timeout = TimeSpan.FromSeconds(request.TimeoutSeconds);
        QueryResponse response;
        try
        {
            response = node.Query(request.Name, request.Payload ?? [], parameters);
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, ex.Message);
        }
        var acks = Drain(response.Acks, a => new QueryAnswer("ack", a, []), ct);
        await foreach (var answer in Merge(acks, Drain(response.Responses, r => new QueryAnswer("response", r.From, r.Payload), ct)).WithCancellation(ct))
        {
            yield return answer;
        }
    }

    private static async IAsyncEnumerable<QueryAnswer> Drain<T>(System.Threading.Channels.ChannelReader<T> reader, Func<T, QueryAnswer> map,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in reader.ReadAllAsync(ct)) yield return map(item);
    }

    private static async IAsyncEnumerable<QueryAnswer> Merge(IAsyncEnumerable<QueryAnswer> a, IAsyncEnumerable<QueryAnswer> b)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<QueryAnswer>();
        async Task Pump(IAsyncEnumerable<QueryAnswer> source)
        {
            await foreach (var item in source) await channel.Writer.WriteAsync(item);
        }
        var both = Task.WhenAll(Pump(a), Pump(b)).ContinueWith(t => channel.Writer.TryComplete(t.Exception), TaskScheduler.Default);
        await foreach (var item in channel.Reader.ReadAllAsync()) yield return item;
        await both;
    }

    public async ValueTask<int> JoinAsync(JoinRequest request, CancellationToken ct)
    {
        var seeds = new List<IPEndPoint>();
        foreach (var address in request.Addresses ?? [])
        {
            seeds.Add(AgentCommand.ParseEndPoint(address, 7946));
        }
        if (seeds.Count == 0) throw new RpcException(StatusCode.InvalidArgument, "at least one address to join is required");
        string tried = string.Join(", ", request.Addresses!);
        int joined;
        try
        {
            joined = await node.JoinAsync(seeds, cancellationToken: ct);
        }
        catch (AggregateException ex)
        {
            // The gossip layer throws when no seed answered; that is the caller's problem to fix, not a server fault.
            throw new RpcException(StatusCode.Unavailable, $"could not join any of {tried}: {string.Join("; ", ex.InnerExceptions.Select(e => e.Message))}");
        }
        if (joined == 0) throw new RpcException(StatusCode.Unavailable, $"could not join any of {tried}");
        return joined;
    }

    public async ValueTask LeaveAsync(CancellationToken ct) => await leave();

    public async ValueTask<KeyReply> KeysAsync(KeyRequest request, CancellationToken ct)
    {
        bool needsKey = request.Operation is "install" or "use" or "remove";
        if (needsKey && string.IsNullOrEmpty(request.Key)) throw new RpcException(StatusCode.InvalidArgument, $"keys {request.Operation} needs a base64 key");
        KeyOperationResult result;
        try
        {
            result = request.Operation switch
            {
                "install" => await node.Keys.InstallKeyAsync(request.Key!),
                "use" => await node.Keys.UseKeyAsync(request.Key!),
                "remove" => await node.Keys.RemoveKeyAsync(request.Key!),
                "list" => await node.Keys.ListKeysAsync(),
                _ => throw new RpcException(StatusCode.InvalidArgument, $"unknown key operation '{request.Operation}' (install, use, remove, list)"),
            };
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"invalid key: {ex.Message}");
        }
        return new KeyReply(result.NumNodes, result.NumResponses, result.NumErrors, new(result.Messages), new(result.Keys), new(result.PrimaryKeys));
    }
}
