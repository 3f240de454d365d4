using System.Collections.Concurrent;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;
using Meshwork.Serf;

namespace Meshwork.Cli.Demo;

/// <summary>
/// The demo's discovery: every alive gossip member with an <c>rpc</c> tag is an endpoint. Membership events add and
/// remove channels, so a node that leaves the cluster drops out of the rotation before it stops serving, and a node
/// that crashed drops out as soon as gossip declares it failed.
/// </summary>
internal sealed class GossipEndpoints : IAsyncDisposable
{
    public const string RpcTag = "rpc";

    private readonly SerfNode _node;
    private readonly ConcurrentDictionary<string, RpcChannel> _channels = new();
    private readonly ConcurrentDictionary<string, MemberStatus> _removedAs = new();
    private readonly ConcurrentBag<RpcChannel> _retired = new();
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private int _next;

    public GossipEndpoints(SerfNode node)
    {
        _node = node;
        Refresh();
        _watch = WatchAsync();
    }

    public int Count => _channels.Count;

    public IReadOnlyCollection<string> Nodes => _channels.Keys.Order().ToArray();

    /// <summary>The gossip status a node had when it was taken out of the rotation (Left, Failed, ...), if it was.</summary>
    public MemberStatus? RemovedAs(string node) => _removedAs.TryGetValue(node, out var s) ? s : null;

    /// <summary>Waits until <paramref name="condition"/> holds after a membership change; false on timeout.</summary>
    public Task<bool> WaitAsync(Func<GossipEndpoints, bool> condition, TimeSpan timeout, CancellationToken ct) =>
        _changed.WaitAsync(() => condition(this), timeout, ct);

    /// <summary>Round-robin over the current endpoints; throws Unavailable when there are none.</summary>
    public (string Node, RpcChannel Channel) Next()
    {
        var snapshot = _channels.ToArray();
        if (snapshot.Length == 0) throw new Meshwork.Rpc.RpcException(Meshwork.Rpc.StatusCode.Unavailable, "no alive members with an rpc tag");
        var pick = snapshot[(int)((uint)Interlocked.Increment(ref _next) % (uint)snapshot.Length)];
        return (pick.Key, pick.Value);
    }

    /// <summary>The channel to one node, while it is in the rotation.</summary>
    public RpcChannel Channel(string node) =>
        _channels.TryGetValue(node, out var channel) ? channel : throw new Meshwork.Rpc.RpcException(Meshwork.Rpc.StatusCode.Unavailable, $"{node} is not an endpoint");

    private async Task WatchAsync()
    {
        try
        {
            await foreach (var e in _node.ReadEventsAsync(_stop.Token))
            {
                if (e is MemberEventRecord) Refresh();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Refresh()
    {
        var members = _node.Members();
        var alive = members
            .Where(m => m.Status == MemberStatus.Alive && m.Tags.ContainsKey(RpcTag))
            .ToDictionary(m => m.Name, m => m.Tags[RpcTag]);
        foreach (var (name, address) in alive)
        {
            _channels.GetOrAdd(name, _ => RpcChannel.ForEndpoint(RpcEndpoint.Parse(address), new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(5) }));
            _removedAs.TryRemove(name, out _);
        }
        foreach (var name in _channels.Keys.Where(n => !alive.ContainsKey(n)).ToList())
        {
            _removedAs[name] = members.FirstOrDefault(m => m.Name == name)?.Status ?? MemberStatus.None;
            // Retired, not disposed: a caller may have picked it a moment ago and its call must still complete.
            if (_channels.TryRemove(name, out var gone)) _retired.Add(gone);
        }
        _changed.Pulse();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _watch;
        foreach (var c in _channels.Values.Concat(_retired)) await c.DisposeAsync();
        _stop.Dispose();
    }
}
