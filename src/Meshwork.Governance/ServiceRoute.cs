using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Meshwork.Governance.Routing;
using Meshwork.Internal;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
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
    private readonly Dictionary<string, InstanceEndpoint> _byId = new(StringComparer.Ordinal);
    private readonly List<InstanceEndpoint> _retired = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _watch;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RouteState _state;
    private readonly Lock _endpointsGate = new();
    /// <summary>The settings in force: replaced whole (under <see cref="_endpointsGate"/>) by <see cref="Reconfigure"/>, read lock-free by calls.</summary>
    private volatile RouteSettings _settings;
    /// <summary>The settings replaced last; their limiters are disposed at the next swap, when no call can still hold them.</summary>
    private RouteSettings? _previous;
    /// <summary>The registry's last answer, re-routed when the policy changes.</summary>
    private IReadOnlyList<ServiceInstance>? _lastSet;
    /// <summary>Channels of methods whose codec differs from the service's, per endpoint and codec; created on first use.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(InstanceEndpoint Endpoint, string Codec), CallInvoker> _codecChannels = new();

    public ServiceRoute(string service, IServiceRegistry registry, GovernanceOptions options, ILogger log, ServicePolicy? policy = null)
    {
        Service = service;
        _registry = registry;
        _options = options;
        _log = log;
        _settings = new RouteSettings(policy ?? options.For(service), options.RttEstimator, null);
        _state = new RouteState([], null, "the registry has not answered yet");
        _watch = Task.Run(WatchAsync);
        _heartbeat = Task.Run(HeartbeatLoopAsync);
    }

    public string Service { get; }

    /// <summary>The policy in force (changes only through <see cref="Reconfigure"/>).</summary>
    public ServicePolicy Policy => _settings.Policy;

    /// <summary>The policy and what is built from it, as one snapshot.</summary>
    internal RouteSettings Settings => _settings;

    public long RateLimited;

    public int InFlight;

    public long BulkheadRejected;

    public long FallbacksUsed;

    /// <summary>Per-method client rate limits, built from the policy in force.</summary>
    public Dictionary<string, MethodLimiter> MethodLimiters => _settings.MethodLimiters;

    internal sealed record MethodLimiter(System.Threading.RateLimiting.RateLimiter Limiter, string Text, StrongBox<long> Refused);

    public RetryBudget Budget => _settings.Budget;

    public System.Threading.RateLimiting.RateLimiter? RateLimiter => _settings.RateLimiter;

    public RouteState State => _state;

    internal sealed record RouteState(InstanceEndpoint[] Endpoints, IPicker? Picker, string Explanation);

    /// <summary>
    /// Everything built from one <see cref="ServicePolicy"/>: the balancer, the retry budget and the rate limiters.
    /// Immutable once built, so a call sees either the old or the new settings, never a mix of both.
    /// </summary>
    internal sealed class RouteSettings
    {
        public RouteSettings(ServicePolicy policy, IRttEstimator? rtt, RouteSettings? previous)
        {
            Policy = policy;
            Balancer = Balancers.Create(policy.Balancer, rtt, policy.VirtualNodes);
            // The budget's balance survives a reload that does not change it: a reload is no reason to allow a retry storm.
            Budget = previous is { } p && p.Policy.RetryBudgetRatio == policy.RetryBudgetRatio && p.Policy.RetryBudgetReserve == policy.RetryBudgetReserve
                ? p.Budget
                : new RetryBudget(policy.RetryBudgetRatio, policy.RetryBudgetReserve);
            RateLimiter = policy.RateLimit?.Create();
            MethodLimiters = policy.Methods
                .Where(m => m.Value.RateLimit is not null)
                .ToDictionary(m => m.Key, m => new MethodLimiter(m.Value.RateLimit!.Create(), m.Value.RateLimit.ToString(),
                    // A method's refusal count continues across reloads.
                    previous?.MethodLimiters.GetValueOrDefault(m.Key)?.Refused ?? new StrongBox<long>()), StringComparer.Ordinal);
        }

        public ServicePolicy Policy { get; }
        public ILoadBalancer Balancer { get; }
        public RetryBudget Budget { get; }
        public System.Threading.RateLimiting.RateLimiter? RateLimiter { get; }
        public Dictionary<string, MethodLimiter> MethodLimiters { get; }

        public async ValueTask DisposeLimitersAsync()
        {
            if (RateLimiter is not null) await RateLimiter.DisposeAsync().ConfigureAwait(false);
            foreach (var m in MethodLimiters.Values) await m.Limiter.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Puts <paramref name="policy"/> in force at once: a new picker over the current endpoints (re-routed if the
    /// route changed), new rate limiters, the breakers' new settings (their state is kept). Settings that shape the
    /// channels (codec, message size, connect timeout, pool size, breaker on or off) build new endpoints; the old ones
    /// are retired as after a registry change, so calls in flight finish on them.
    /// </summary>
    /// <exception cref="ArgumentException">The policy is invalid; nothing changed.</exception>
    public void Reconfigure(ServicePolicy policy)
    {
        RouteSettings? dispose;
        lock (_endpointsGate)
        {
            var old = _settings;
            var next = new RouteSettings(policy, _options.RttEstimator, old);
            bool rebuild = !SameChannels(old.Policy, policy);
            dispose = _previous;
            _previous = old;
            _settings = next;
            if (_lastSet is { } set) ApplyLocked(set, rebuild);
        }
        if (dispose is not null) _ = dispose.DisposeLimitersAsync().AsTask();
        WantHeartbeat(); // the probe interval or the breaker itself may have changed
    }

    private static bool SameChannels(ServicePolicy a, ServicePolicy b) =>
        string.Equals(a.Codec, b.Codec, StringComparison.OrdinalIgnoreCase) && a.MaxMessageSize == b.MaxMessageSize && a.ConnectTimeout == b.ConnectTimeout
        && a.ConnectionsPerInstance == b.ConnectionsPerInstance && (a.CircuitBreaker is null) == (b.CircuitBreaker is null);

    /// <summary>
    /// The channel for a call of a method whose policy names <paramref name="codec"/>: the endpoint's own when it is
    /// the service's codec, else a channel of that codec to the same instance (one per endpoint and codec, created on
    /// first use, closed with the endpoint). Calls without a method codec never come here.
    /// </summary>
    public CallInvoker ChannelFor(InstanceEndpoint endpoint, string codec)
    {
        var policy = Policy;
        var serviceCodec = policy.Codec ?? _options.Client.Serializers.Default.Name;
        if (string.Equals(codec, serviceCodec, StringComparison.OrdinalIgnoreCase)) return endpoint.Channel!;
        // Codecs are Meshwork serializers: an instance of another protocol (TARS) encodes with its own and keeps its channel.
        if (endpoint.Channel is not RpcChannel) return endpoint.Channel!;
        return _codecChannels.GetOrAdd((endpoint, codec.ToLowerInvariant()), static (key, state) =>
            InstanceChannels.Create(key.Endpoint.Instance, state._options.Client, new ServicePolicy
            {
                Codec = key.Codec,
                MaxMessageSize = state.Policy.MaxMessageSize,
                ConnectTimeout = state.Policy.ConnectTimeout,
                ConnectionsPerInstance = state.Policy.ConnectionsPerInstance,
            }), this);
    }

    private async Task WatchAsync()
    {
        // A bounded, jittered backoff (waits of 80–100 % of 200 ms doubling to 10 s) keeps a dead registry from being hammered.
        var backoff = new JitteredBackoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), multiplier: 2, jitter: 0.2);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var set in _registry.WatchAsync(Service, _stop.Token).ConfigureAwait(false))
                {
                    Apply(set);
                    backoff.Reset();
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
                // The last routed set stays in use meanwhile.
                var wait = backoff.Next();
                GovernanceLog.WatchFailed(_log, Service, e.Message, wait.TotalMilliseconds);
                try
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Apply(IReadOnlyList<ServiceInstance> set)
    {
        lock (_endpointsGate)
        {
            _lastSet = set;
            ApplyLocked(set, rebuild: false);
        }
    }

    /// <summary>Routes <paramref name="set"/> under the settings in force; <paramref name="rebuild"/> replaces every endpoint (new channels).</summary>
    private void ApplyLocked(IReadOnlyList<ServiceInstance> set, bool rebuild)
    {
        var routed = ServiceRouter.Filter(set, Policy.Route);
        var endpoints = new InstanceEndpoint[routed.Count];
        var keep = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < routed.Count; i++)
        {
            var instance = routed[i];
            keep.Add(instance.Id);
            if (!rebuild && _byId.TryGetValue(instance.Id, out var existing) && existing.Instance.Address == instance.Address)
            {
                existing.Instance = instance;
                if (Policy.CircuitBreaker is { } settings) existing.Breaker?.Reconfigure(settings);
                endpoints[i] = existing;
            }
            else
            {
                if (_byId.TryGetValue(instance.Id, out existing)) _retired.Add(existing);
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
        _state = new RouteState(endpoints, endpoints.Length > 0 ? _settings.Balancer.CreatePicker(endpoints) : null,
            ServiceRouter.Explain(Service, set, Policy.Route));
        DisposeIdleRetired();
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
                DisposeCodecChannels(_retired[i]);
                _retired.RemoveAt(i);
            }
        }
    }

    private void DisposeCodecChannels(InstanceEndpoint endpoint)
    {
        if (_codecChannels.IsEmpty) return;
        foreach (var key in _codecChannels.Keys)
        {
            if (key.Endpoint == endpoint && _codecChannels.TryRemove(key, out var channel) && channel is IAsyncDisposable d) _ = d.DisposeAsync().AsTask();
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
    /// Idle until a breaker opens or an endpoint is ejected; then, every probe interval, one health check per such
    /// endpoint (bounded by the number of endpoints, each with the interval as its budget), until none is left.
    /// Nothing runs while every instance is healthy, or while the policy in force has no health probe. The interval
    /// is read from the policy in force at each round, so a reload changes it.
    /// </summary>
    private async Task HeartbeatLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var wanted = Volatile.Read(ref _heartbeatWanted);
            try
            {
                if (Policy.CircuitBreaker is not { HealthProbe: true } || !_state.Endpoints.Any(NeedsHeartbeat))
                {
                    await wanted.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                    Volatile.Write(ref _heartbeatWanted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    continue;
                }
                var interval = Policy.CircuitBreaker?.ProbeInterval ?? TimeSpan.FromSeconds(1);
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                if (Policy.CircuitBreaker is not { HealthProbe: true }) continue;
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

    /// <summary>True once the registry has answered (every call after the first few): no need to wait in <see cref="ReadyAsync"/>.</summary>
    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>Waits for the registry's first answer (bounded by <paramref name="timeout"/>); calls then pick from <see cref="State"/>.</summary>
    public async ValueTask ReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_ready.Task.IsCompleted) return;
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

    /// <summary>Picks an endpoint from the current state, avoiding those in <paramref name="tried"/> while others remain.</summary>
    /// <exception cref="NoInstanceException">No routable instance (the message says why).</exception>
    private InstanceEndpoint Pick(in PickContext context, List<InstanceEndpoint>? tried)
    {
        var picked = PickCore(State, context, tried);
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
            var endpoint = Pick(context, skip);
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
        foreach (var channel in _codecChannels.Values)
        {
            if (channel is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        }
        _codecChannels.Clear();
        _stop.Dispose();
        RouteSettings? previous;
        lock (_endpointsGate) previous = _previous;
        if (previous is not null) await previous.DisposeLimitersAsync().ConfigureAwait(false);
        await _settings.DisposeLimitersAsync().ConfigureAwait(false);
    }
}

/// <summary>Raised inside the invoker when no instance is routable; surfaces to callers as Unavailable.</summary>
internal sealed class NoInstanceException(string message) : Exception(message);
