using System.Globalization;
using System.Threading.Channels;
using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Serf;

namespace Meshwork.Gateway.Dashboard;

/// <summary>
/// The live web dashboard's data: cluster members with state, tags, round-trip estimates and Vivaldi coordinates;
/// services and their instances with breaker states; per-method call rate, error rate and latency percentiles; and an
/// event stream. A background loop builds a snapshot every <see cref="DashboardOptions.RefreshInterval"/> and pushes it
/// (and new events) to every open page over server-sent events. Map it with
/// <see cref="DashboardEndpointExtensions.MapMeshworkDashboard"/>.
/// </summary>
public sealed class MeshworkDashboard : IAsyncDisposable
{
    private readonly SerfNode? _node;
    private readonly IServiceRegistry? _registry;
    private readonly GovernedCallInvoker? _invoker;
    private readonly MethodStats _methods;
    private readonly Lock _gate = new();
    private readonly LinkedList<DashboardEvent> _events = new();
    private readonly List<Channel<byte[]>> _clients = new();
    private readonly Dictionary<string, (MemberStatus Status, string Tags)> _lastMembers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Task? _serfEvents;
    private byte[] _snapshot;

    /// <summary>A dashboard over whichever sources are given (each may be null); starts its refresh loop at once.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public MeshworkDashboard(SerfNode? node = null, IServiceRegistry? registry = null, GovernedCallInvoker? invoker = null, DashboardOptions? options = null)
    {
        Options = options ?? new DashboardOptions();
        Options.Validate();
        _node = node;
        _registry = registry;
        _invoker = invoker;
        _methods = new MethodStats(Options.MaxTrackedMethods);
        _snapshot = "{}"u8.ToArray();
        if (node is not null)
        {
            foreach (var m in node.Members()) _lastMembers[m.Name] = (m.Status, TagText(m.Tags));
        }
        _loop = Task.Run(LoopAsync);
        if (node is not null && Options.ReadSerfEvents) _serfEvents = Task.Run(() => ReadSerfEventsAsync(node));
    }

    /// <summary>The settings.</summary>
    public DashboardOptions Options { get; }

    /// <summary>Open pages streaming right now.</summary>
    public int ClientCount
    {
        get
        {
            lock (_gate) return _clients.Count;
        }
    }

    /// <summary>The most recent snapshot as JSON (what <c>{PathPrefix}/api/snapshot</c> returns).</summary>
    public ReadOnlyMemory<byte> Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>The recent events, oldest first.</summary>
    public IReadOnlyList<DashboardEvent> RecentEvents
    {
        get
        {
            lock (_gate) return _events.ToList();
        }
    }

    /// <summary>Adds an event to the stream (for example user events or queries the application read from the node itself).</summary>
    public void Publish(string kind, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(text);
        var e = new DashboardEvent(kind, text, DateTimeOffset.UtcNow);
        var message = DashboardJson.Event(e);
        lock (_gate)
        {
            _events.AddLast(e);
            while (_events.Count > Options.MaxEvents) _events.RemoveFirst();
            foreach (var c in _clients) c.Writer.TryWrite(message);
        }
    }

    /// <summary>Registers a page: its queue first holds the recent events and the current snapshot. Null when <see cref="DashboardOptions.MaxClients"/> pages are open.</summary>
    internal ChannelReader<byte[]>? Subscribe(out IDisposable registration)
    {
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Options.ClientQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest, // a stalled page loses old messages, never grows our memory
            SingleReader = true,
        });
        lock (_gate)
        {
            if (_clients.Count >= Options.MaxClients)
            {
                registration = null!;
                return null;
            }
            foreach (var e in _events) channel.Writer.TryWrite(DashboardJson.Event(e));
            channel.Writer.TryWrite(DashboardJson.SnapshotMessage(Volatile.Read(ref _snapshot)));
            _clients.Add(channel);
        }
        registration = new Unsubscribe(this, channel);
        return channel.Reader;
    }

    private sealed class Unsubscribe(MeshworkDashboard owner, Channel<byte[]> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._clients.Remove(channel);
            channel.Writer.TryComplete();
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Options.RefreshInterval);
        do
        {
            try
            {
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failing source (registry down) must not stop the dashboard: say so in the stream and go on.
                Publish("dashboard-error", e.Message);
            }
        }
        while (await WaitAsync(timer).ConfigureAwait(false));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Builds a snapshot now, records membership changes as events, and pushes the snapshot to every page.</summary>
    internal async Task RefreshAsync(CancellationToken ct)
    {
        var members = _node?.Members() ?? [];
        DiffMembers(members);
        var services = new List<(string Name, IReadOnlyList<ServiceInstance> Instances, string? Error)>();
        foreach (var name in Options.Services)
        {
            if (_registry is null)
            {
                services.Add((name, [], "no registry given to the dashboard"));
                continue;
            }
            try
            {
                services.Add((name, await _registry.ResolveAsync(name, ct).ConfigureAwait(false), null));
            }
            catch (RegistryUnavailableException e)
            {
                services.Add((name, [], e.Message));
            }
        }
        var json = DashboardJson.Snapshot(_node, members, services, _invoker, _methods.Read(Options.MethodWindow));
        Volatile.Write(ref _snapshot, json);
        var message = DashboardJson.SnapshotMessage(json);
        lock (_gate)
        {
            foreach (var c in _clients) c.Writer.TryWrite(message);
        }
    }

    private void DiffMembers(IReadOnlyList<Member> members)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in members)
        {
            seen.Add(m.Name);
            var tags = TagText(m.Tags);
            string where = m.Address + ":" + m.Port.ToString(CultureInfo.InvariantCulture);
            if (!_lastMembers.TryGetValue(m.Name, out var before))
            {
                if (m.Status == MemberStatus.Alive) Publish("member-join", $"{m.Name} joined ({where})");
                else Publish("member-" + StatusName(m.Status), $"{m.Name} is {StatusName(m.Status)} ({where})");
            }
            else if (before.Status != m.Status)
            {
                switch (m.Status)
                {
                    case MemberStatus.Alive: Publish("member-join", $"{m.Name} is alive again ({where})"); break;
                    case MemberStatus.Failed: Publish("member-failed", $"{m.Name} failed ({where})"); break;
                    case MemberStatus.Leaving or MemberStatus.Left: Publish("member-leave", $"{m.Name} {(m.Status == MemberStatus.Left ? "left" : "is leaving")} ({where})"); break;
                }
            }
            else if (before.Tags != tags)
            {
                Publish("member-update", $"{m.Name} changed its tags to {tags}");
            }
            _lastMembers[m.Name] = (m.Status, tags);
        }
        foreach (var gone in _lastMembers.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _lastMembers.Remove(gone);
            Publish("member-reap", $"{gone} was removed from the member list");
        }
    }

    private async Task ReadSerfEventsAsync(SerfNode node)
    {
        try
        {
            await foreach (var e in node.ReadEventsAsync(_stop.Token).ConfigureAwait(false))
            {
                switch (e)
                {
                    case UserEventRecord u: Publish("user", $"user event '{u.Name}' ({u.Payload.Length} bytes, ltime {u.LTime})"); break;
                    case QueryEventRecord q: Publish("query", $"query '{q.Name}' from {q.SourceNode} ({q.Payload.Length} bytes)"); break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.Alive => "alive",
        MemberStatus.Leaving => "leaving",
        MemberStatus.Left => "left",
        MemberStatus.Failed => "failed",
        _ => "unknown",
    };

    private static string TagText(IReadOnlyDictionary<string, string> tags) =>
        string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value));

    /// <summary>Stops the refresh loop and closes every page's stream.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_serfEvents is not null) await _serfEvents.ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var c in _clients) c.Writer.TryComplete();
            _clients.Clear();
        }
        _methods.Dispose();
        _stop.Dispose();
    }
}
