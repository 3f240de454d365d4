using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery.Etcd;

/// <summary>
/// Discovery on etcd 3.4+. Each instance is one key, <c>prefix/service/id</c>, holding its JSON record and bound to
/// this process's lease; a keep-alive stream renews the lease every third of its TTL, and a lost lease is replaced
/// and every local instance re-put. Clients read the service prefix and watch it from the revision they read, so no
/// change falls between the read and the watch; a compacted or cancelled watch re-reads the prefix and resumes.
/// Failures to reach etcd surface as <see cref="RegistryUnavailableException"/> (wrap the registry in
/// <see cref="CachedServiceRegistry"/> to keep calling from the cache meanwhile).
/// </summary>
public sealed class EtcdServiceRegistry : IServiceRegistry
{
    private readonly EtcdDiscoveryOptions _options;
    private readonly ILogger _log;
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Lease.LeaseClient _lease;
    private readonly Watch.WatchClient _watch;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServiceInstance> _local = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _leaseGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private long _leaseId;
    private Task? _keepAlive;

    /// <summary>Creates the registry; connects lazily.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public EtcdServiceRegistry(EtcdDiscoveryOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = loggerFactory?.CreateLogger("Meshwork.Discovery.Etcd") ?? NullLogger.Instance;
        _channel = GrpcChannel.ForAddress(options.Endpoint);
        _kv = new KV.KVClient(_channel);
        _lease = new Lease.LeaseClient(_channel);
        _watch = new Watch.WatchClient(_channel);
    }

    /// <inheritdoc />
    public string Name => "etcd";

    /// <summary>Leases granted so far (more than one means a lease was lost and replaced).</summary>
    public int LeasesGranted => Volatile.Read(ref _leasesGranted);

    private int _leasesGranted;

    private DateTime Deadline => DateTime.UtcNow + _options.RequestTimeout;

    private string Key(ServiceInstance i) => _options.Prefix + i.Service + "/" + i.Id;

    private static ByteString PrefixEnd(string prefix)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        bytes[^1]++; // prefix ends with '/', so the last byte never overflows
        return ByteString.CopyFrom(bytes);
    }

    private RegistryUnavailableException Unavailable(string what, Exception e) =>
        new(Name, $"{what} failed at {_options.Endpoint}: {(e is RpcException r ? r.Status.Detail + " (" + r.StatusCode + ")" : e.Message)}", e);

    /// <summary>Puts the instance under this process's lease (granting it and starting the keep-alive on first use).</summary>
    public async ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate) _local[instance.Id] = instance;
        try
        {
            long lease = await EnsureLeaseAsync(cancellationToken).ConfigureAwait(false);
            await PutAsync(instance, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw Unavailable("registering " + instance.Id, e);
        }
    }

    private async Task PutAsync(ServiceInstance instance, long lease, CancellationToken ct) =>
        await _kv.PutAsync(new PutRequest
        {
            Key = ByteString.CopyFromUtf8(Key(instance)),
            Value = ByteString.CopyFromUtf8(ServiceInstanceJson.Encode([instance])),
            Lease = lease,
        }, deadline: Deadline, cancellationToken: ct);

    private async Task<long> EnsureLeaseAsync(CancellationToken ct)
    {
        await _leaseGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_leaseId != 0) return _leaseId;
            var granted = await _lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)Math.Ceiling(_options.LeaseTtl.TotalSeconds) },
                deadline: Deadline, cancellationToken: ct);
            if (!string.IsNullOrEmpty(granted.Error)) throw new RegistryUnavailableException(Name, "lease grant refused: " + granted.Error);
            _leaseId = granted.ID;
            Interlocked.Increment(ref _leasesGranted);
            _keepAlive ??= Task.Run(KeepAliveLoopAsync);
            return _leaseId;
        }
        finally
        {
            _leaseGate.Release();
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        var interval = _options.LeaseTtl / 3;
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            string reason;
            try
            {
                using var call = _lease.LeaseKeepAlive(cancellationToken: ct);
                while (!ct.IsCancellationRequested)
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = Volatile.Read(ref _leaseId) }, ct).ConfigureAwait(false);
                    if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false)) throw new RegistryUnavailableException(Name, "the keep-alive stream ended");
                    if (call.ResponseStream.Current.TTL <= 0) throw new RegistryUnavailableException(Name, "the lease expired");
                    await Task.Delay(interval, ct).ConfigureAwait(false);
                }
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (ct.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or RegistryUnavailableException)
            {
                reason = e.Message;
            }
            // Recovery: a new lease, and every local instance put again under it. Retried with a bounded delay.
            try
            {
                await Task.Delay(interval / 2, ct).ConfigureAwait(false);
                ServiceInstance[] local;
                lock (_gate) local = _local.Values.ToArray();
                EtcdLog.LeaseLost(_log, Volatile.Read(ref _leaseId), reason, local.Length);
                await _leaseGate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    _leaseId = 0;
                }
                finally
                {
                    _leaseGate.Release();
                }
                long lease = await EnsureLeaseAsync(ct).ConfigureAwait(false);
                foreach (var i in local) await PutAsync(i, lease, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or RegistryUnavailableException)
            {
                // etcd still down: the next loop turn fails fast and lands here again after the delay.
            }
        }
    }

    /// <summary>Deletes the instance's key.</summary>
    public async ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate) _local.Remove(instance.Id);
        try
        {
            await _kv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(Key(instance)) }, deadline: Deadline, cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw Unavailable("deregistering " + instance.Id, e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        var (instances, _) = await ReadAsync(service, cancellationToken).ConfigureAwait(false);
        return instances.Values.ToArray();
    }

    /// <summary>
    /// The names of the services that have at least one instance under <see cref="EtcdDiscoveryOptions.Prefix"/>,
    /// sorted ordinally: one range read of the whole prefix. The names come from the instance records, not from the
    /// keys, because a service name may itself contain '/' and the key alone cannot say where it ends. Records that
    /// do not decode are skipped and logged, as in <see cref="ResolveAsync"/>.
    /// </summary>
    /// <exception cref="RegistryUnavailableException">etcd cannot be reached.</exception>
    public async ValueTask<IReadOnlyList<string>> ListServicesAsync(CancellationToken cancellationToken = default)
    {
        RangeResponse range;
        try
        {
            range = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(_options.Prefix), RangeEnd = PrefixEnd(_options.Prefix) },
                deadline: Deadline, cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw Unavailable("listing " + _options.Prefix, e);
        }
        var records = new Dictionary<string, ServiceInstance>(StringComparer.Ordinal);
        foreach (var kv in range.Kvs) Apply(records, kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8());
        return [.. records.Values.Select(i => i.Service).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private async Task<(Dictionary<string, ServiceInstance> Instances, long Revision)> ReadAsync(string service, CancellationToken ct)
    {
        var prefix = _options.Prefix + service + "/";
        RangeResponse range;
        try
        {
            range = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = PrefixEnd(prefix) }, deadline: Deadline, cancellationToken: ct);
        }
        catch (RpcException e)
        {
            throw Unavailable("reading " + prefix, e);
        }
        var result = new Dictionary<string, ServiceInstance>(StringComparer.Ordinal);
        foreach (var kv in range.Kvs) Apply(result, kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), service);
        return (result, range.Header.Revision);
    }

    /// <summary>
    /// Applies one key's value to <paramref name="set"/> (null: deleted). With <paramref name="service"/>, a record of
    /// another service is left out: the prefix of service "a" also covers the keys of a service named "a/b".
    /// </summary>
    private void Apply(Dictionary<string, ServiceInstance> set, string key, string? json, string? service = null)
    {
        if (json is null)
        {
            set.Remove(key);
            return;
        }
        try
        {
            var decoded = ServiceInstanceJson.Decode(json);
            if (decoded.Count != 1) EtcdLog.BadRecord(_log, key, $"{decoded.Count} records instead of one");
            else if (service is null || decoded[0].Service == service) set[key] = decoded[0];
        }
        catch (InvalidDataException e)
        {
            EtcdLog.BadRecord(_log, key, e.Message);
        }
    }

    /// <summary>The prefix's instances, then the whole set after every change; resumes after compaction by re-reading.</summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        var prefix = _options.Prefix + service + "/";
        while (!cancellationToken.IsCancellationRequested)
        {
            var (set, revision) = await ReadAsync(service, cancellationToken).ConfigureAwait(false);
            yield return set.Values.ToArray();
            using var call = _watch.Watch(cancellationToken: cancellationToken);
            bool resync = false;
            try
            {
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = PrefixEnd(prefix), StartRevision = revision + 1 },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Unavailable("watching " + prefix, e);
            }
            while (!resync)
            {
                WatchResponse response;
                try
                {
                    if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false)) throw new RegistryUnavailableException(Name, "the watch stream ended");
                    response = call.ResponseStream.Current;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                catch (RpcException e)
                {
                    throw Unavailable("watching " + prefix, e);
                }
                if (response.CompactRevision > 0 || response.Canceled)
                {
                    EtcdLog.Compacted(_log, prefix, response.CompactRevision);
                    resync = true;
                    continue;
                }
                if (response.Events.Count == 0) continue;
                foreach (var e in response.Events)
                {
                    Apply(set, e.Kv.Key.ToStringUtf8(), e.Type == Mvccpb.Event.Types.EventType.Delete ? null : e.Kv.Value.ToStringUtf8(), service);
                }
                yield return set.Values.ToArray();
            }
        }
    }

    /// <summary>Stops the keep-alive, revokes the lease (its keys vanish at once) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_keepAlive is not null) await _keepAlive.ConfigureAwait(false);
        if (_leaseId != 0)
        {
            try
            {
                await _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = _leaseId }, deadline: Deadline);
            }
            catch (RpcException)
            {
                // etcd unreachable: the lease expires by itself after its TTL.
            }
        }
        _channel.Dispose();
        _leaseGate.Dispose();
        _stop.Dispose();
    }

    /// <summary>Stops the keep-alive without revoking, as a crash would: the keys vanish when the lease expires (for tests and hard stops).</summary>
    public async ValueTask AbandonAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_keepAlive is not null) await _keepAlive.ConfigureAwait(false);
        _channel.Dispose();
    }
}
