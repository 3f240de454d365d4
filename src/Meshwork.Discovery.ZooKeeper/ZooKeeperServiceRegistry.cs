using System.Runtime.CompilerServices;
using System.Text;
using Meshwork.Discovery.ZooKeeper.Client;
using Meshwork.Discovery.ZooKeeper.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>
/// Discovery on ZooKeeper 3.8. Each instance is one ephemeral node, <c>Root/service/instanceId</c> (both names
/// percent-encoded), holding its JSON record (<see cref="ServiceInstanceJson"/>) and owned by this registry's session:
/// when the process dies the session times out and ZooKeeper deletes the node; when the registry is disposed the
/// session is closed and the nodes vanish at once. Persistent parent nodes are created on demand. A lost connection is
/// replaced within the same session (so the nodes stay); if the session expired meanwhile, a new session is opened and
/// every instance this registry registered is created again. Watches read the service's children with a children
/// watch (and a data watch per instance) and re-arm after every event, yielding the whole new set on each change.
/// Failures surface as <see cref="RegistryUnavailableException"/> (wrap the registry in
/// <see cref="CachedServiceRegistry"/> to keep calling from the cache meanwhile).
/// </summary>
public sealed class ZooKeeperServiceRegistry : IServiceRegistry
{
    /// <summary>
    /// Largest instance record stored, in bytes: ZooKeeper refuses packets above its <c>jute.maxbuffer</c> (1 MiB by
    /// default) and drops the connection, so a larger record is refused here, with a message, before it is sent.
    /// </summary>
    public const int MaxRecordBytes = 1_000_000;

    private readonly ZooKeeperDiscoveryOptions _options;
    private readonly ILogger _log;
    private readonly ZooKeeperClient _client;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServiceInstance> _local = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sessionLoop;
    private long _invalidRecords;
    private readonly LogRateLimit _badRecordLog = new(TimeSpan.FromMinutes(1));

    /// <summary>Creates the registry; it connects on first use.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public ZooKeeperServiceRegistry(ZooKeeperDiscoveryOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.ZooKeeper") ?? NullLogger.Instance;
        _client = new ZooKeeperClient(options, _log);
        _sessionLoop = Task.Run(SessionLoopAsync);
    }

    /// <inheritdoc />
    public string Name => "zookeeper";

    /// <summary>Sessions opened so far (more than one means a session expired and its instances were registered again).</summary>
    public int SessionsOpened => _client.SessionsOpened;

    /// <summary>Connections made so far (more than one means the connection was lost and replaced).</summary>
    public int Connections => _client.Connections;

    /// <summary>Connections dropped because a server sent a malformed or oversized frame.</summary>
    public long MalformedFrames => _client.MalformedFrames;

    /// <summary>Instance nodes skipped because their data was not a valid instance record.</summary>
    public long InvalidRecords => Interlocked.Read(ref _invalidRecords);

    internal ZooKeeperClient Client => _client;

    private string ServicePath(string service) => ZNodePath.Join(_options.Root, ZNodePath.Segment(service));

    private string InstancePath(ServiceInstance i) => ZNodePath.Join(ServicePath(i.Service), ZNodePath.Segment(i.Id));

    private RegistryUnavailableException Unavailable(string what, ZooKeeperException e) => new(Name, $"{what}: {e.Message}", e);

    /// <summary>
    /// Creates (or replaces) the instance's ephemeral node and remembers the instance, so that it is created again if
    /// the session expires. The instance is remembered even when this call fails because ZooKeeper is unreachable: its
    /// node is then created on the next connection (deregister it to cancel).
    /// </summary>
    /// <exception cref="ArgumentException">The encoded record exceeds <see cref="MaxRecordBytes"/>.</exception>
    /// <exception cref="RegistryUnavailableException">ZooKeeper cannot be reached or refused the write.</exception>
    public async ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var data = Encoding.UTF8.GetBytes(ServiceInstanceJson.Encode([instance]));
        if (data.Length > MaxRecordBytes)
        {
            throw new ArgumentException($"the record of {instance.Id} is {data.Length} bytes, above the {MaxRecordBytes}-byte limit of a ZooKeeper node", nameof(instance));
        }
        var path = InstancePath(instance);
        lock (_gate) _local[path] = instance;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureNodeAsync(path, data, replace: true, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException e)
        {
            throw Unavailable("registering " + instance.Id, e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Makes <paramref name="path"/> an ephemeral node of this session holding <paramref name="data"/>. A node left by
    /// another session (an expired one of this process, not yet cleaned up) is deleted and created again, because only
    /// a node owned by this session disappears with it. With <paramref name="replace"/> false, a node this session
    /// already owns is left as it is.
    /// </summary>
    private async Task EnsureNodeAsync(string path, byte[] data, bool replace, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _client.CreateAsync(path, data, CreateMode.Ephemeral, ct).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode && attempt < 4)
            {
                await CreateParentsAsync(ZNodePath.Parent(path), ct).ConfigureAwait(false);
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NodeExists && attempt < 4)
            {
                var (stat, _) = await _client.ExistsAsync(path, watch: false, ct).ConfigureAwait(false);
                if (stat is not { } s) continue; // deleted meanwhile: create it
                if (s.EphemeralOwner == _client.SessionId)
                {
                    if (replace) await _client.SetDataAsync(path, data, ZooKeeperWire.AnyVersion, ct).ConfigureAwait(false);
                    return;
                }
                try
                {
                    await _client.DeleteAsync(path, s.Version, ct).ConfigureAwait(false);
                }
                catch (ZooKeeperException d) when (d.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.BadVersion)
                {
                    // Someone else changed it first: look again.
                }
            }
        }
    }

    /// <summary>Creates the persistent nodes down to <paramref name="path"/>, tolerating ones that exist.</summary>
    private async Task CreateParentsAsync(string path, CancellationToken ct)
    {
        int next = 0;
        while (next >= 0)
        {
            next = path.IndexOf('/', next + 1);
            var prefix = next < 0 ? path : path[..next];
            try
            {
                await _client.CreateAsync(prefix, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, ct).ConfigureAwait(false);
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NodeExists)
            {
            }
        }
    }

    /// <summary>Deletes the instance's node and forgets the instance; an unknown instance is ignored.</summary>
    /// <exception cref="RegistryUnavailableException">ZooKeeper cannot be reached or refused the delete.</exception>
    public async ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var path = InstancePath(instance);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate) _local.Remove(path);
            await _client.DeleteAsync(path, ZooKeeperWire.AnyVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
        }
        catch (ZooKeeperException e)
        {
            throw Unavailable("deregistering " + instance.Id, e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>After every new connection, makes sure each local instance has its node (after an expiry none has).</summary>
    private async Task SessionLoopAsync()
    {
        var ct = _stop.Token;
        try
        {
            await foreach (var e in _client.Events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (e.Kind != SessionEventKind.Connected) continue;
                ServiceInstance[] local;
                lock (_gate) local = [.. _local.Values];
                if (local.Length == 0) continue;
                await _writeGate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    int created = 0;
                    foreach (var instance in local)
                    {
                        var path = InstancePath(instance);
                        lock (_gate)
                        {
                            if (!_local.ContainsKey(path)) continue; // deregistered meanwhile
                        }
                        var (stat, _) = await _client.ExistsAsync(path, watch: false, ct).ConfigureAwait(false);
                        if (stat is { } s && s.EphemeralOwner == _client.SessionId) continue;
                        await EnsureNodeAsync(path, Encoding.UTF8.GetBytes(ServiceInstanceJson.Encode([instance])), replace: false, ct).ConfigureAwait(false);
                        created++;
                    }
                    if (created > 0) ZooKeeperLog.Reregistered(_log, created, _client.SessionId);
                }
                catch (ZooKeeperException ex)
                {
                    // The connection went again; its next Connected event brings this loop back.
                    ZooKeeperLog.ReregisterFailed(_log, ex.Message);
                }
                finally
                {
                    _writeGate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        try
        {
            var (set, _) = await ReadAsync(service, watch: false, cancellationToken).ConfigureAwait(false);
            return set;
        }
        catch (ZooKeeperException e)
        {
            throw Unavailable("reading " + ServicePath(service), e);
        }
    }

    /// <summary>
    /// The names of the services under <see cref="ZooKeeperDiscoveryOptions.Root"/> (the children of the root node,
    /// percent-decoded), sorted ordinally; empty when nothing was ever registered. A service node outlives its last
    /// instance (it is persistent), so a listed service can have no instances.
    /// </summary>
    /// <exception cref="RegistryUnavailableException">ZooKeeper cannot be reached or refused the read.</exception>
    public async ValueTask<IReadOnlyList<string>> ListServicesAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var (children, _, _) = await _client.GetChildrenAsync(_options.Root, watch: false, cancellationToken).ConfigureAwait(false);
            return [.. children.Select(Uri.UnescapeDataString).Order(StringComparer.Ordinal)];
        }
        catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
        catch (ZooKeeperException e)
        {
            throw Unavailable("listing " + _options.Root, e);
        }
    }

    /// <summary>
    /// Reads a service's instances. With <paramref name="watch"/>, also returns the watches that fire on its next
    /// change: a children watch on the service node (or an exists watch while it does not exist) and a data watch
    /// per instance node.
    /// </summary>
    private async Task<(ServiceInstance[] Set, List<Task<WatchedEvent>> Watches)> ReadAsync(string service, bool watch, CancellationToken ct)
    {
        var servicePath = ServicePath(service);
        var watches = new List<Task<WatchedEvent>>();
        string[] children;
        while (true)
        {
            try
            {
                var (names, _, childWatch) = await _client.GetChildrenAsync(servicePath, watch, ct).ConfigureAwait(false);
                children = names;
                if (childWatch is not null) watches.Add(childWatch);
                break;
            }
            catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
            {
                if (!watch) return ([], watches);
                // No instance ever registered: watch for the service node to appear.
                var (stat, existsWatch) = await _client.ExistsAsync(servicePath, watch: true, ct).ConfigureAwait(false);
                if (stat is null)
                {
                    watches.Add(existsWatch!);
                    return ([], watches);
                }
            }
        }
        // Pipelined in batches: one round trip per batch, and never more than half the in-flight limit.
        var set = new List<ServiceInstance>(children.Length);
        int batch = Math.Max(1, Math.Min(256, _options.MaxInFlightRequests / 2));
        for (int start = 0; start < children.Length; start += batch)
        {
            var reads = children.Skip(start).Take(batch)
                .Select(child => (Path: ZNodePath.Join(servicePath, child), Read: _client.GetDataAsync(ZNodePath.Join(servicePath, child), watch, ct)))
                .ToArray();
            foreach (var (path, read) in reads)
            {
                try
                {
                    var (data, _, dataWatch) = await read.ConfigureAwait(false);
                    if (dataWatch is not null) watches.Add(dataWatch);
                    if (Decode(path, data) is { } instance) set.Add(instance);
                }
                catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.NoNode)
                {
                    // Deleted between the children list and this read; the children watch reports it.
                }
            }
        }
        return ([.. set], watches);
    }

    private ServiceInstance? Decode(string path, byte[] data)
    {
        string reason;
        try
        {
            var decoded = ServiceInstanceJson.Decode(Encoding.UTF8.GetString(data));
            if (decoded.Count == 1) return decoded[0];
            reason = $"{decoded.Count} records instead of one";
        }
        catch (InvalidDataException e)
        {
            reason = e.Message;
        }
        long total = Interlocked.Increment(ref _invalidRecords);
        // Rate-limited: a bad node is seen again on every read and watch turn, and must not flood the log.
        if (_badRecordLog.Allow(out _)) ZooKeeperLog.BadRecord(_log, path, reason, total);
        return null;
    }

    /// <summary>
    /// The service's instances now, then the whole set after each change. Every turn re-reads the children and their
    /// data with fresh watches, so a change, a lost connection or an expired session all lead to a full re-read; the
    /// set is yielded only when it differs from the last one. When ZooKeeper stays unreachable beyond the request
    /// timeout, throws <see cref="RegistryUnavailableException"/> (<see cref="CachedServiceRegistry"/> reconnects).
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        IReadOnlyList<ServiceInstance>? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var turn = await WatchTurnAsync(service, cancellationToken).ConfigureAwait(false);
            if (turn is null) yield break;
            var (set, watches) = turn.Value;
            if (last is null || !InstanceSets.Same(last, set))
            {
                last = set;
                yield return set;
            }
            try
            {
                await Task.WhenAny(watches).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
        }
    }

    private async Task<(ServiceInstance[], List<Task<WatchedEvent>>)?> WatchTurnAsync(string service, CancellationToken ct)
    {
        try
        {
            return await ReadAsync(service, watch: true, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (ZooKeeperException e)
        {
            throw Unavailable("watching " + ServicePath(service), e);
        }
    }

    /// <summary>Closes the session: ZooKeeper deletes this registry's instance nodes at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sessionLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _client.DisposeAsync().ConfigureAwait(false);
        _writeGate.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// Drops the connection without closing the session, as a crash would: the instance nodes vanish only when
    /// ZooKeeper expires the session (after the session timeout). For tests and hard stops.
    /// </summary>
    public async ValueTask AbandonAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sessionLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _client.AbandonAsync().ConfigureAwait(false);
    }
}
