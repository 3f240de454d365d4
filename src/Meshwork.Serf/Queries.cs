using System.Threading.Channels;

namespace Meshwork.Serf;

/// <summary>Options of a query.</summary>
public sealed class QueryParams
{
    /// <summary>Only these nodes process the query (empty: all).</summary>
    public List<string> FilterNodes { get; set; } = [];

    /// <summary>Tag name → regular expression (unanchored, like serf) that the node's tag value must match.</summary>
    public Dictionary<string, string> FilterTags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Ask every processing node to acknowledge receipt.</summary>
    public bool RequestAck { get; set; }

    /// <summary>Number of extra members each response is relayed through (0: direct only).</summary>
    public byte RelayFactor { get; set; }

    /// <summary>Query lifetime; null = GossipInterval × QueryTimeoutMult × ceil(log10(n+1)).</summary>
    public TimeSpan? Timeout { get; set; }
}

/// <summary>A response from one node.</summary>
/// <param name="From">Name of the responding node.</param>
/// <param name="Payload">Its response payload.</param>
public sealed record NodeResponse(string From, byte[] Payload);

/// <summary>Collects acks and responses of an outstanding query until its deadline.</summary>
public sealed class QueryResponse
{
    private readonly Channel<string> _acks = Channel.CreateUnbounded<string>();
    private readonly Channel<NodeResponse> _responses = Channel.CreateUnbounded<NodeResponse>();
    private readonly HashSet<string> _ackFrom = new(StringComparer.Ordinal);
    private readonly HashSet<string> _respFrom = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal QueryResponse(ulong ltime, uint id, DateTimeOffset deadline)
    {
        LTime = ltime;
        Id = id;
        Deadline = deadline;
    }

    internal ulong LTime { get; }

    internal uint Id { get; }

    /// <summary>When the query stops collecting.</summary>
    public DateTimeOffset Deadline { get; }

    /// <summary>Node names that acknowledged (when acks were requested).</summary>
    public ChannelReader<string> Acks => _acks.Reader;

    /// <summary>Responses, one per node at most.</summary>
    public ChannelReader<NodeResponse> Responses => _responses.Reader;

    /// <summary>Completes at the deadline.</summary>
    public Task Finished => _done.Task;

    /// <summary>True once the deadline passed.</summary>
    public bool IsClosed { get; private set; }

    internal void AddAck(string from)
    {
        if (!IsClosed && _ackFrom.Add(from)) { _acks.Writer.TryWrite(from); }
    }

    internal void AddResponse(string from, byte[] payload)
    {
        if (!IsClosed && _respFrom.Add(from)) { _responses.Writer.TryWrite(new NodeResponse(from, payload)); }
    }

    internal void Close()
    {
        if (IsClosed) { return; }
        IsClosed = true;
        _acks.Writer.TryComplete();
        _responses.Writer.TryComplete();
        _done.TrySetResult();
    }

    /// <summary>Waits for the deadline and returns every response collected.</summary>
    public async Task<IReadOnlyList<NodeResponse>> CollectAsync()
    {
        var list = new List<NodeResponse>();
        await foreach (var r in Responses.ReadAllAsync().ConfigureAwait(false)) { list.Add(r); }
        return list;
    }

    /// <summary>Waits for the deadline and returns every ack collected.</summary>
    public async Task<IReadOnlyList<string>> CollectAcksAsync()
    {
        var list = new List<string>();
        await foreach (var a in Acks.ReadAllAsync().ConfigureAwait(false)) { list.Add(a); }
        return list;
    }
}
