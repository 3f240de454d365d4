using System.Collections.Concurrent;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;
using Meshwork.Serf;

namespace Meshwork.Cli;

/// <summary>
/// The demo's discovery: every alive gossip member with an <c>rpc</c> tag is an endpoint. Membership events add and
/// remove channels, so a node that leaves the cluster drops out of the rotation before it stops serving.
/// </summary>
internal sealed class GossipEndpoints : IAsyncDisposable
{
    public const string RpcTag = "rpc";

    private readonly SerfNode _node;
    private readonly ConcurrentDictionary<string, RpcChannel> _channels = new();
    private readonly ConcurrentBag<RpcChannel> _retired = new();
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

    public IReadOnlyCollection<string> Nodes => _channels.Keys.ToArray();

    /// <summary>Round-robin over the current endpoints; throws Unavailable when there are none.</summary>
    public (string Node, RpcChannel Channel) Next()
    {
        var snapshot = _channels.ToArray();
        if (snapshot.Length == 0) throw new Meshwork.Rpc.RpcException(Meshwork.Rpc.StatusCode.Unavailable, "no alive members with an rpc tag");
        var pick = snapshot[(int)((uint)Interlocked.Increment(ref _next) % (uint)snapshot.Length)];
        return (pick.Key, pick.Value);
    }

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
        var alive = _node.Members()
            .Where(m => m.Status == MemberStatus.Alive && m.Tags.ContainsKey(RpcTag))
            .ToDictionary(m => m.Name, m => m.Tags[RpcTag]);
        foreach (var (name, address) in alive)
        {
            _channels.GetOrAdd(name, _ => RpcChannel.ForEndpoint(RpcEndpoint.Parse(address), new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(5) }));
        }
        foreach (var name in _channels.Keys.Where(n => !alive.ContainsKey(n)).ToList())
        {
            // Retired, not disposed: a caller may have picked it a moment ago and its call must still complete.
            if (_channels.TryRemove(name, out var gone)) _retired.Add(gone);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _watch;
        foreach (var c in _channels.Values.Concat(_retired)) await c.DisposeAsync();
        _stop.Dispose();
    }
}
