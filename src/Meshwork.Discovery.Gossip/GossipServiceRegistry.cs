using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Serf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery.Gossip;

/// <summary>
/// Service discovery on the Serf layer, needing no infrastructure. Each node announces its service set in one
/// compact tag (directory address, fingerprint of the set, service names when they fit); clients read the member
/// list, skip nodes that do not host the service, and fetch a node's full records from its directory endpoint only
/// when its fingerprint changes. Membership status maps to health: a leaving node's instances are draining, a
/// failed or left node's are gone. See docs/governance.md for the design and its limits.
/// </summary>
public sealed class GossipServiceRegistry : IServiceRegistry, IRttEstimator
{
    private readonly SerfNode _node;
    private readonly GossipDiscoveryOptions _options;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServiceInstance> _local = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _announce = new(1, 1);
    private readonly ConcurrentDictionary<string, NodeDirectory> _directories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _reported = new(StringComparer.Ordinal);
    private string _localJson = "[]";
    private long _malformed;
    private int _disposed;

    private sealed record NodeDirectory(string Fingerprint, IReadOnlyList<ServiceInstance> Instances);

    /// <summary>Discovery over <paramref name="node"/>, which the caller starts, joins and disposes.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public GossipServiceRegistry(SerfNode node, GossipDiscoveryOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(node, options, loggerFactory, ownsNode: false, joined: Task.CompletedTask)
    {
    }

    /// <summary>
    /// The provider's form: the registry owns <paramref name="node"/> (leaves and stops it on dispose) and every
    /// operation first waits for <paramref name="joined"/>, whose failure surfaces as <see cref="RegistryUnavailableException"/>.
    /// </summary>
    internal GossipServiceRegistry(SerfNode node, GossipDiscoveryOptions? options, ILoggerFactory? loggerFactory, bool ownsNode, Task joined)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _options = options ?? new GossipDiscoveryOptions();
        _options.Validate();
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.Gossip") ?? NullLogger.Instance;
        _ownsNode = ownsNode;
        _joined = joined;
        _node.MemberChanged += OnMemberChanged;
    }

    private readonly bool _ownsNode;
    private readonly Task _joined;

    /// <summary>The Serf node the records ride on.</summary>
    public SerfNode Node => _node;

    private ValueTask JoinedAsync(CancellationToken ct) =>
        _joined.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(_joined.WaitAsync(ct));

    /// <inheritdoc />
    public string Name => "gossip";

    /// <summary>Malformed announcement tags seen from other nodes (each node and value is logged once).</summary>
    public long MalformedTags => Interlocked.Read(ref _malformed);

    /// <summary>Directory fetches made (a measure of how often fingerprints change).</summary>
    public long DirectoryFetches => Interlocked.Read(ref _fetches);

    private long _fetches;

    /// <summary>This node's instances as served by <see cref="DirectoryService"/>.</summary>
    public string LocalDirectoryJson => Volatile.Read(ref _localJson);

    /// <summary>The RTT estimator for the coordinate-aware balancer, from this node's Vivaldi coordinates.</summary>
    public IRttEstimator RttEstimator => new SerfRttEstimator(_node);

    /// <summary>The Vivaldi RTT estimate from this node to the node hosting <paramref name="instance"/> (so the registry itself can feed the "nearest" balancer).</summary>
    public TimeSpan? EstimateRtt(ServiceInstance instance) => instance?.Node is { } n ? _node.EstimateRtt(_node.Name, n) : null;

    /// <summary>Adds a local instance and re-announces this node's service set (peers see a member update).</summary>
    /// <exception cref="ArgumentException">The service name contains ';' or ',' (reserved by the tag format).</exception>
    public async ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.Service.AsSpan().IndexOfAny(';', ',') >= 0)
        {
            throw new ArgumentException($"service name '{instance.Service}' contains ';' or ',', which the gossip announcement reserves", nameof(instance));
        }
        await JoinedAsync(cancellationToken).ConfigureAwait(false);
        long generation;
        lock (_gate)
        {
            _local[instance.Id] = instance with { Node = _node.Name };
            generation = ++_generation;
        }
        await AnnounceAsync(generation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a local instance and re-announces; removing the last one removes the tag.</summary>
    public async ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        long generation;
        lock (_gate)
        {
            if (!_local.Remove(instance.Id)) return;
            generation = ++_generation;
        }
        await AnnounceAsync(generation, cancellationToken).ConfigureAwait(false);
    }

    private long _generation;
    private long _announced;

    private async Task AnnounceAsync(long generation, CancellationToken ct)
    {
        await _announce.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Registrations that queued behind a running announcement are covered by one announcement of the
            // newest set: registering many services at start costs one tag update, not one per service.
            if (Volatile.Read(ref _announced) >= generation) return;
            ServiceInstance[] local;
            long covered;
            lock (_gate)
            {
                local = _local.Values.ToArray();
                covered = _generation;
            }
            var tags = new Dictionary<string, string>(_node.Member(_node.Name)?.Tags ?? _node.Options.Tags, StringComparer.Ordinal);
            Volatile.Write(ref _localJson, ServiceInstanceJson.Encode(local));
            if (local.Length == 0)
            {
                tags.Remove(_options.TagName);
            }
            else
            {
                var address = _options.DirectoryAddress ?? local[0].Address;
                var fingerprint = ServiceInstanceJson.Fingerprint(local);
                var names = local.Select(i => i.Service).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                tags[_options.TagName] = new ServiceTag(address, fingerprint, names).Encode(_options.MaxTagBytes);
                GossipDiscoveryLog.Announcing(_log, local.Length, fingerprint);
            }
            await _node.SetTagsAsync(tags).ConfigureAwait(false);
            Volatile.Write(ref _announced, covered);
            Changed(); // local watchers see this node's own change at once, whether or not a member event follows
        }
        finally
        {
            _announce.Release();
        }
    }

    /// <summary>Instances of <paramref name="service"/> on alive and leaving members (leaving ones as draining).</summary>
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await JoinedAsync(cancellationToken).ConfigureAwait(false);
        var members = _node.Members();
        var hosts = new List<(Member Member, ServiceTag Tag)>();
        foreach (var m in members)
        {
            if (m.Status is not (MemberStatus.Alive or MemberStatus.Leaving)) continue;
            if (!m.Tags.TryGetValue(_options.TagName, out var value)) continue;
            if (!ServiceTag.TryParse(value, out var tag))
            {
                long n = Interlocked.Increment(ref _malformed);
                if (Remember(m.Name + "\n" + value)) GossipDiscoveryLog.MalformedTag(_log, m.Name, value, n);
                continue;
            }
            if (tag.MayHost(service)) hosts.Add((m, tag));
        }
        PruneDirectories(members);
        var directories = await Task.WhenAll(hosts.Select(h => DirectoryOfAsync(h.Member, h.Tag, cancellationToken))).ConfigureAwait(false);
        var result = new List<ServiceInstance>();
        for (int i = 0; i < hosts.Count; i++)
        {
            var member = hosts[i].Member;
            foreach (var instance in directories[i])
            {
                if (instance.Service != service) continue;
                result.Add(instance with
                {
                    Node = member.Name,
                    Health = member.Status == MemberStatus.Leaving ? InstanceHealth.Draining : instance.Health,
                });
            }
        }
        return result;
    }

    private bool Remember(string key)
    {
        // Bounded: a hostile or broken cluster cannot grow this set without limit; past the cap it starts over.
        if (_reported.Count > 1024) _reported.Clear();
        return _reported.TryAdd(key, 0);
    }

    private void PruneDirectories(IReadOnlyList<Member> members)
    {
        if (_directories.Count <= members.Count) return;
        var known = members.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _directories.Keys)
        {
            if (!known.Contains(name)) _directories.TryRemove(name, out _);
        }
    }

    private async Task<IReadOnlyList<ServiceInstance>> DirectoryOfAsync(Member member, ServiceTag tag, CancellationToken ct)
    {
        if (member.Name == _node.Name)
        {
            lock (_gate) return _local.Values.ToArray();
        }
        if (_directories.TryGetValue(member.Name, out var known) && known.Fingerprint == tag.Fingerprint) return known.Instances;
        try
        {
            var channel = _channels.GetOrAdd(tag.DirectoryAddress, a => RpcChannel.ForAddress(a, _options.DirectoryClient));
            Interlocked.Increment(ref _fetches);
            var json = await channel.UnaryAsync(DirectoryService.List, tag.Fingerprint, new CallOptions
            {
                CancellationToken = ct,
                Timeout = _options.FetchTimeout,
            }).ConfigureAwait(false);
            var instances = ServiceInstanceJson.Decode(json);
            // The fingerprint the node announced may already be older than what it served; the next member event or resync fixes that.
            _directories[member.Name] = new NodeDirectory(tag.Fingerprint, instances);
            return instances;
        }
        catch (Exception e) when (e is RpcException or InvalidDataException or ArgumentException or FormatException)
        {
            Interlocked.Increment(ref _fetchFailures);
            if (Remember(member.Name + "\n" + tag.Fingerprint + "\n" + e.GetType().Name)) GossipDiscoveryLog.FetchFailed(_log, member.Name, tag.DirectoryAddress, e.Message);
            // A stale directory beats none: the node is alive, only its details could not be refreshed.
            return known?.Instances ?? [];
        }
    }

    /// <summary>
    /// The current set, then a new set whenever membership, health or a node's announcement changes. Woken by the
    /// node's member events and by local registrations, not by polling; a full re-read every
    /// <see cref="GossipDiscoveryOptions.ResyncInterval"/> is the safety net, and a failed directory fetch is
    /// retried after <see cref="GossipDiscoveryOptions.FetchRetryInterval"/>.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ServiceInstance>? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before reading, so a change during the read wakes the next wait at once.
            var changed = Volatile.Read(ref _changed).Task;
            long failuresBefore = Interlocked.Read(ref _fetchFailures);
            IReadOnlyList<ServiceInstance> now;
            try
            {
                now = await ResolveAsync(service, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            if (last is null || !InstanceSets.Same(last, now))
            {
                last = now;
                yield return now;
            }
            var wait = Interlocked.Read(ref _fetchFailures) != failuresBefore ? _options.FetchRetryInterval : _options.ResyncInterval;
            try
            {
                await changed.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref _resyncs);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _fetchFailures;
    private long _resyncs;

    /// <summary>Watch wake-ups by the resync timer rather than by a change notification (a measure that notifications suffice).</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Wakes every watch: a member event arrived or a local registration changed.</summary>
    private void Changed() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void OnMemberChanged(MemberEventRecord e) => Changed();

    /// <summary>
    /// Closes directory connections. A registry made over a caller's node does not leave the cluster or touch the
    /// node's tags; one made by <see cref="GossipServiceRegistryProvider"/> owns its node and leaves and stops it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _node.MemberChanged -= OnMemberChanged;
        foreach (var c in _channels.Values) await c.DisposeAsync().ConfigureAwait(false);
        _channels.Clear();
        _announce.Dispose();
        if (_ownsNode)
        {
            // Created by the provider, so stopped here: leave first, so peers see "left" at once rather than a failure.
            try
            {
                await _node.LeaveAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
            }
            await _node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
