using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Routing;
using Meshwork.Rpc;
using Microsoft.Extensions.Logging;

namespace Meshwork.Governance;

/// <summary>
/// Everything a client keeps per service: the watch on the registry, the routed endpoints with their channels and
/// statistics, the current picker and the retry budget. The watch loop is the only writer; calls read an
/// immutable <see cref="RouteState"/> snapshot.
/// </summary>
internal sealed class ServiceRoute : IAsyncDisposable
{
    private readonly IServiceRegistry _registry;
    private readonly GovernanceOptions _options;
    private readonly ILogger _log;
    private readonly ILoadBalancer _balancer;
    private readonly Dictionary<string, InstanceEndpoint> _byId = new(StringComparer.Ordinal);
    private readonly List<InstanceEndpoint> _retired = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _watch;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RouteState _state;
    private readonly Lock _endpointsGate = new();

    public ServiceRoute(string service, IServiceRegistry registry, GovernanceOptions options, ILogger log)
    {
        Service = service;
        _registry = registry;
        _options = options;
        _log = log;
        Policy = options.For(service);
        _balancer = Balancers.Create(Policy.Balancer, options.RttEstimator, Policy.VirtualNodes);
        Budget = new RetryBudget(Policy.RetryBudgetRatio, Policy.RetryBudgetReserve);
        RateLimiter = Policy.RateLimit is { } limit ? limit.Create() : null;
        MethodLimiters = Policy.Methods
            .Where(m => m.Value.RateLimit is not null)
            .ToDictionary(m => m.Key, m => new MethodLimiter(m.Value.RateLimit!.Create(), m.Value.RateLimit.ToString(), new StrongBox<long>()), StringComparer.Ordinal);
        _state = new RouteState([], null, "the registry has not answered yet");
        _watch = Task.Run(WatchAsync);
        _heartbeat = Policy.CircuitBreaker is { HealthProbe: true } breaker ? Task.Run(() => HeartbeatLoopAsync(breaker.ProbeInterval)) : Task.CompletedTask;
    }

    public string Service { get; }

    public ServicePolicy Policy { get; }

    public long RateLimited;

    public int InFlight;

    public long BulkheadRejected;

    public long FallbacksUsed;

    /// <summary>Per-method client rate limits, built once from the policy (which does not change after the invoker starts).</summary>
    public Dictionary<string, MethodLimiter> MethodLimiters { get; }

    internal sealed record MethodLimiter(System.Threading.RateLimiting.RateLimiter Limiter, string Text, StrongBox<long> Refused);

    public RetryBudget Budget { get; }

    public System.Threading.RateLimiting.RateLimiter? RateLimiter { get; }

    public RouteState State => _state;

    internal sealed record RouteState(InstanceEndpoint[] Endpoints, IPicker? Picker, string Explanation);

    private async Task WatchAsync()
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var set in _registry.WatchAsync(Service, _stop.Token).ConfigureAwait(false))
                {
                    Apply(set);
                    delay = TimeSpan.FromMilliseconds(200);
                }
                if (_stop.IsCancellationRequested) return;
                throw new RegistryUnavailableException(_registry.Name, "the watch ended");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The last routed set stays in use; a bounded, jittered backoff keeps a dead registry from being hammered.
                var wait = delay * (0.8 + Random.Shared.NextDouble() * 0.4);
                GovernanceLog.WatchFailed(_log, Service, e.Message, wait.TotalMilliseconds);
                try
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private void Apply(IReadOnlyList<ServiceInstance> set)
    {
        var routed = ServiceRouter.Filter(set, Policy.Route);
        var endpoints = new InstanceEndpoint[routed.Count];
        lock (_endpointsGate)
        {
            var keep = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < routed.Count; i++)
            {
                var instance = routed[i];
                keep.Add(instance.Id);
                if (_byId.TryGetValue(instance.Id, out var existing) && existing.Instance.Address == instance.Address)
                {
                    existing.Instance = instance;
                    endpoints[i] = existing;
                }
                else
                {
                    if (existing is not null) _retired.Add(existing);
                    endpoints[i] = _byId[instance.Id] = new InstanceEndpoint(instance, InstanceChannels.CreateInvoker(Service, instance, _options, Policy),
                        Policy.CircuitBreaker is { } breaker ? NewBreaker(breaker, instance.Id) : null)
                    {
                        Ejected = WantHeartbeat,
                    };
                }
            }
            foreach (var id in _byId.Keys.Where(id => !keep.Contains(id)).ToList())
            {
                _retired.Add(_byId[id]);
                _byId.Remove(id);
            }
            // Published before the retired endpoints close, so that a call that finds a closed endpoint and picks
            // again from the current state no longer sees it.
            _state = new RouteState(endpoints, endpoints.Length > 0 ? _balancer.CreatePicker(endpoints) : null,
                ServiceRouter.Explain(Service, set, Policy.Route));
            DisposeIdleRetired();
        }
        GovernanceLog.RouteChanged(_log, Service, endpoints.Length, set.Count);
        _ready.TrySetResult();
        var changed = _changed;
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private CircuitBreaker NewBreaker(CircuitBreakerOptions options, string instanceId)
    {
        var service = Service;
        return new CircuitBreaker(options)
        {
            Opened = WantHeartbeat,
            Transitioned = state => GovernanceMetrics.BreakerTransition(service, instanceId, state),
        };
    }

    private void DisposeIdleRetired()
    {
        // Retired, not disposed at once: a call may have picked the endpoint a moment ago and must still complete.
        for (int i = _retired.Count - 1; i >= 0; i--)
        {
            if (_retired[i].TryClose())
            {
                if (_retired[i].Channel is IAsyncDisposable d) _ = d.DisposeAsync().AsTask();
                _retired.RemoveAt(i);
            }
        }
    }

    // ---- heartbeat: recovery of open breakers and ejected endpoints ---------------------------------------------

    private readonly Task _heartbeat;
    private TaskCompletionSource _heartbeatWanted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Health checks sent to open or ejected instances.</summary>
    public long Heartbeats;

    /// <summary>Signals the heartbeat loop; called under a breaker's lock, so it only completes a task.</summary>
    private void WantHeartbeat() => Volatile.Read(ref _heartbeatWanted).TrySetResult();

    private static bool NeedsHeartbeat(InstanceEndpoint e) => e.IsEjected || e.Breaker?.NeedsHeartbeat == true;

    /// <summary>
    /// Idle until a breaker opens or an endpoint is ejected; then, every <paramref name="interval"/>, one health
    /// check per such endpoint (bounded by the number of endpoints, each with the interval as its budget), until
    /// none is left. Nothing runs while every instance is healthy.
    /// </summary>
    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            var wanted = Volatile.Read(ref _heartbeatWanted);
            try
            {
                if (!_state.Endpoints.Any(NeedsHeartbeat))
                {
                    await wanted.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                    Volatile.Write(ref _heartbeatWanted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                var targets = _state.Endpoints.Where(NeedsHeartbeat).ToArray();
                await Task.WhenAll(targets.Select(e => HeartbeatAsync(e, interval))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HeartbeatAsync(InstanceEndpoint endpoint, TimeSpan budget)
    {
        bool healthy;
        try
        {
            Interlocked.Increment(ref Heartbeats);
            healthy = await endpoint.Channel!.UnaryAsync(Server.HealthService.Check, Service, new CallOptions { Timeout = budget, CancellationToken = _stop.Token })
                .ConfigureAwait(false) == Server.HealthService.Serving;
        }
        catch (RpcException e) when (e.Status == StatusCode.Unimplemented)
        {
            return; // no health service there: recovery is left to the half-open probe
        }
        catch (RpcException)
        {
            healthy = false;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        bool wasOpen = endpoint.Breaker?.NeedsHeartbeat == true;
        endpoint.Breaker?.ReportHeartbeat(healthy);
        if (healthy)
        {
            endpoint.ClearEjection();
            endpoint.ReportReachable(true);
            if (wasOpen) GovernanceLog.RecoveredByHeartbeat(_log, Service, endpoint.Instance.Id);
        }
    }

    /// <summary>Waits for the registry's first answer (bounded by <paramref name="timeout"/>).</summary>
    public async ValueTask<RouteState> ReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_ready.Task.IsCompleted) return _state;
        try
        {
            await _ready.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RpcException(StatusCode.Unavailable, $"registry '{_registry.Name}' gave no instances of service '{Service}' within {timeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(StatusCode.Cancelled, $"the call to service '{Service}' was cancelled while waiting for the registry");
        }
        return _state;
    }

    /// <summary>Waits until the routed endpoints satisfy <paramref name="condition"/>.</summary>
    public async Task<IReadOnlyList<InstanceEndpoint>> WaitUntilAsync(Func<IReadOnlyList<InstanceEndpoint>, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            var changed = _changed.Task;
            var endpoints = _state.Endpoints;
            if (_ready.Task.IsCompleted && condition(endpoints)) return endpoints;
            await changed.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Picks an endpoint, avoiding those in <paramref name="tried"/> while others remain.</summary>
    /// <exception cref="RpcException">Unavailable: no routable instance (the message says why).</exception>
    public InstanceEndpoint Pick(RouteState state, in PickContext context, List<InstanceEndpoint>? tried)
    {
        var picked = PickCore(state, context, tried);
        GovernanceMetrics.Picked(Service, picked, Policy.Balancer);
        return picked;
    }

    /// <summary>
    /// Picks an endpoint from the current state and counts a call as started on it. An endpoint retired and closed
    /// between the snapshot and the start is skipped and the pick repeated on the newer state, which no longer holds it:
    /// the call was never sent, so this is not a retry and spends no attempt.
    /// </summary>
    public InstanceEndpoint Acquire(in PickContext context, List<InstanceEndpoint>? tried, out long started)
    {
        List<InstanceEndpoint>? skip = tried;
        for (int round = 0; ; round++)
        {
            var endpoint = Pick(State, context, skip);
            if (endpoint.TryStart(out started)) return endpoint;
            Interlocked.Increment(ref ClosedSkipped);
            if (round >= MaxClosedSkips)
            {
                throw new NoInstanceException($"every instance picked was retired by a registry change before the call could start ({round + 1} picks)");
            }
            skip = skip is null ? [endpoint] : [.. skip, endpoint];
        }
    }

    /// <summary>Starts a call on <paramref name="endpoint"/> again (fail-retry's same instance), or on another when it has been closed meanwhile.</summary>
    public InstanceEndpoint AcquireAgain(InstanceEndpoint endpoint, in PickContext context, List<InstanceEndpoint>? tried, out long started)
    {
        if (endpoint.TryStart(out started)) return endpoint;
        Interlocked.Increment(ref ClosedSkipped);
        return Acquire(context, tried, out started);
    }

    /// <summary>Picks that found their endpoint closed by a registry change and picked again (for tests and diagnosis).</summary>
    public long ClosedSkipped;

    /// <summary>
    /// Re-picks allowed when picked endpoints keep turning out closed. The current state never holds a closed endpoint,
    /// so one re-pick normally suffices; 8 covers several registry changes landing during one pick.
    /// </summary>
    private const int MaxClosedSkips = 8;

    private InstanceEndpoint PickCore(RouteState state, in PickContext context, List<InstanceEndpoint>? tried)
    {
        if (state.Picker is not { } picker) throw new NoInstanceException(state.Explanation);
        var endpoint = picker.Pick(context);
        if (Usable(endpoint, tried)) return endpoint;
        for (int i = 0; i < 2; i++)
        {
            endpoint = picker.Pick(context);
            if (Usable(endpoint, tried)) return endpoint;
        }
        // The balancer keeps choosing tried or ejected endpoints (hash balancers always do): take the next usable one.
        var all = state.Endpoints;
        int start = Random.Shared.Next(all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            var e = all[(start + i) % all.Length];
            if (Usable(e, tried)) return e;
        }
        // Everything is tried or ejected: better to try than to fail without trying (Envoy's "panic" mode).
        for (int i = 0; i < all.Length; i++)
        {
            var e = all[(start + i) % all.Length];
            if (tried is null || !tried.Contains(e)) return e;
        }
        return endpoint;
    }

    private static bool Usable(InstanceEndpoint e, List<InstanceEndpoint>? tried) =>
        !e.IsEjected && (tried is null || !tried.Contains(e)) && (e.Breaker is null || e.Breaker.TryAcquire());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(false);
        lock (_endpointsGate)
        {
            _retired.AddRange(_byId.Values);
            _byId.Clear();
        }
        foreach (var e in _retired)
        {
            if (e.Channel is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        }
        _retired.Clear();
        _stop.Dispose();
        if (RateLimiter is not null) await RateLimiter.DisposeAsync().ConfigureAwait(false);
        foreach (var m in MethodLimiters.Values) await m.Limiter.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Raised inside the invoker when no instance is routable; surfaces to callers as Unavailable.</summary>
internal sealed class NoInstanceException(string message) : Exception(message);
