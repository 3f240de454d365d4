using System.Diagnostics;
using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Governance;

/// <summary>
/// A <see cref="CallInvoker"/> that turns a service name into a healthy instance: resolver (an
/// <see cref="IServiceRegistry"/> watch) → router (version range, tags, zone) → balancer → fail mode with a retry
/// budget and the caller's deadline → one pooled <see cref="RpcChannel"/> per instance. Generated proxies take it
/// unchanged. Errors name the instance that failed (message and <see cref="GovernedCall.InstanceTrailer"/>), and
/// client middleware sees it through <see cref="GovernedCall.GetServiceInstance"/>.
/// </summary>
public sealed class GovernedCallInvoker : CallInvoker, IAsyncDisposable
{
    private readonly IServiceRegistry _registry;
    private readonly GovernanceOptions _options;
    /// <summary>The policies in force: <see cref="_options"/> until the first <see cref="Reconfigure"/>.</summary>
    private volatile GovernanceOptions _policies;
    private readonly ILogger _log;
    /// <summary>Routes by service: read lock-free by every call, added to and cleared under <see cref="_gate"/>.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ServiceRoute> _routes = new(StringComparer.Ordinal);
    /// <summary>The route found last: most clients call one service, whose name then needs no hashing.</summary>
    private volatile ServiceRoute? _lastRoute;
    private readonly Lock _gate = new();
    private volatile int _disposed;

    /// <summary>Creates the invoker over <paramref name="registry"/> (which the caller owns and disposes).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public GovernedCallInvoker(IServiceRegistry registry, GovernanceOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _options = options ?? new GovernanceOptions();
        _options.Validate();
        _policies = _options;
        _log = loggerFactory?.CreateLogger("Meshwork.Governance") ?? NullLogger.Instance;
    }

    /// <summary>The policies in force (those given at construction, or the last accepted by <see cref="Reconfigure"/>).</summary>
    public GovernanceOptions Options => _policies;

    /// <summary>
    /// Puts new policies in force without a restart (a configuration reload): per service, the balancer, route,
    /// rate limits, bulkhead, retry budget, breaker settings, fail modes, timeouts and fallbacks of
    /// <paramref name="options"/> replace the old ones atomically; calls already running finish under the settings
    /// they started with. Breakers keep their state (open stays open); a changed sampling duration empties their
    /// window. Settings that shape channels (codec, message size, connect timeout, pool size, breaker on or off)
    /// replace the service's endpoints, whose old channels close once their calls end. The channel template
    /// (<see cref="GovernanceOptions.Client"/>) and the RTT estimator stay those given at construction:
    /// <paramref name="options"/> gets them before it is validated.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid (the message names it); the old policies stay in force.</exception>
    public void Reconfigure(GovernanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Client = _options.Client;
        options.RttEstimator ??= _options.RttEstimator;
        options.Validate();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            // Validated as a whole above, so no route can refuse its part and leave the services half reconfigured.
            // Under the lock: a route created meanwhile starts with the new policy, and Options reports the new
            // policies only once every route has them.
            foreach (var route in _routes.Values) route.Reconfigure(options.For(route.Service));
            _policies = options;
        }
    }

    /// <summary>The route of <paramref name="service"/>, created on first use (for tests of its internals).</summary>
    internal ServiceRoute RouteFor(string service) => Route(service);

    private ServiceRoute Route(string service)
    {
        // Lock-free on every call once the route exists; a call racing with DisposeAsync may still get a route being
        // disposed, as it could when this took the lock, and fails on its closed channels.
        if (_lastRoute is { } last && string.Equals(last.Service, service, StringComparison.Ordinal))
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return last;
        }
        if (_routes.TryGetValue(service, out var found))
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            _lastRoute = found;
            return found;
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (!_routes.TryGetValue(service, out var route)) _routes[service] = route = new ServiceRoute(service, _registry, _options, _log, _policies.For(service));
            _lastRoute = route;
            return route;
        }
    }

    /// <summary>The endpoints calls to <paramref name="service"/> are balanced over now, with their statistics (starts the watch if needed).</summary>
    public IReadOnlyList<InstanceEndpoint> Endpoints(string service) => Route(service).State.Endpoints;

    /// <summary>Retries and hedges refused by the retry budget of <paramref name="service"/>.</summary>
    public long RetriesDenied(string service) => Route(service).Budget.Denied;

    /// <summary>Waits until the routed endpoints of <paramref name="service"/> satisfy <paramref name="condition"/> (for start-up and tests).</summary>
    public Task<IReadOnlyList<InstanceEndpoint>> WaitForEndpointsAsync(string service, Func<IReadOnlyList<InstanceEndpoint>, bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return Route(service).WaitUntilAsync(condition, cancellationToken);
    }

    // ---- unary ----------------------------------------------------------------------------------------------

    /// <summary>A unary call under the service's fail mode, retry budget and deadline.</summary>
    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return UnaryCoreAsync(method, request, options);
    }

    // One state machine per call, pooled: the bulkhead, the policy, the budget, every attempt and the fallback run in
    // this one method instead of three nested ones (each a box allocated per call and a continuation hop on every
    // answer). The pooled builder reuses the box once the caller has read the result; the ValueTask may be awaited
    // once only, which is already the rule for the channel's own ValueTask.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResponse> UnaryCoreAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var route = Route(method.Service);
        try
        {
            EnterBulkhead(route, method.FullName);
            try
            {
                var policy = route.Policy.For(method.Name);
                options = WithPolicy(options, policy);
                long deadline = Deadline(options, policy, method);
                if (!route.IsReady) await route.ReadyAsync(ResolveBudget(deadline), options.CancellationToken).ConfigureAwait(false);
                var mode = EffectiveMode(policy, method.Idempotent);
                CheckRateLimit(route, method.Name, method.FullName);
                route.Budget.Deposit();
                var context = new PickContext(HashKey(policy, request, options));
                if (mode == FailMode.FailBackup) return await HedgedAsync(route, policy, method, request, options, context, deadline).ConfigureAwait(false);

                RpcException? last = null;
                InstanceEndpoint? previous = null;
                List<InstanceEndpoint>? tried = null;
                for (int attempt = 1; ; attempt++)
                {
                    var remaining = Remaining(deadline);
                    if (remaining is { } left && left <= TimeSpan.Zero)
                    {
                        last = DeadlineSpent(method, attempt - 1, last);
                        break;
                    }
                    InstanceEndpoint endpoint;
                    long started;
                    try
                    {
                        endpoint = mode == FailMode.FailRetry && previous is not null
                            ? route.AcquireAgain(previous, context, tried, out started)
                            : route.Acquire(context, tried, out started);
                    }
                    catch (NoInstanceException e)
                    {
                        last = new RpcException(StatusCode.Unavailable, $"call {method.FullName}: {e.Message}");
                        break;
                    }
                    previous = endpoint;

                    // The attempt, on an endpoint on which the call was counted as started by Acquire.
                    var attemptOptions = remaining is null ? options : options with { Timeout = remaining };
                    TResponse response;
                    RpcException? error = null;
                    try
                    {
                        var channel = ChannelOf(route, endpoint, policy);
                        // The native channel is sealed: calling it as such saves a generic virtual dispatch per call.
                        response = await (channel is RpcChannel rpc
                            ? rpc.UnaryAsync(method, request, attemptOptions)
                            : channel.UnaryAsync(method, request, attemptOptions)).ConfigureAwait(false);
                    }
                    catch (RpcException e)
                    {
                        error = e;
                        response = default!;
                    }
                    catch
                    {
                        // No verdict on the instance (the caller's own exception, a serializer's): a half-open breaker
                        // must get its probe slot back, or it would stay half-open for good.
                        endpoint.Breaker?.Abandon();
                        endpoint.OnFinished(started, false);
                        throw;
                    }
                    if (error is null)
                    {
                        endpoint.ReportReachable(true);
                        // One clock read for the latency sample and the breaker's window.
                        long now = endpoint.Finish(started, success: true);
                        endpoint.Breaker?.Record(null, now);
                        return response;
                    }
                    RecordFailure(endpoint, error, options.CancellationToken);
                    endpoint.OnFinished(started, false);
                    var failure = Decorate(error, endpoint, attempt);

                    // The attempt failed and its endpoint's statistics are up to date: retry, or give up.
                    last = failure;
                    if (!MayRetry(mode, policy, failure) || !IsRetryable(failure.Status) || attempt >= policy.MaxAttempts
                        || options.CancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                    if (!route.Budget.TryWithdraw())
                    {
                        ReportDenied(route);
                        break;
                    }
                    GovernanceMetrics.Retry(route.Service, method.Name);
                    (tried ??= new List<InstanceEndpoint>(policy.MaxAttempts)).Add(endpoint);
                }
                if (mode == FailMode.FailSafe) return policy.Fallback is { } fallback ? (TResponse)fallback(last!)! : default!;
                throw last!;
            }
            finally
            {
                Interlocked.Decrement(ref route.InFlight);
            }
        }
        catch (RpcException e) when (route.Policy.For(method.Name) is { FallbackHandler: not null } policy && FallbackApplies(policy, e)
            && !options.CancellationToken.IsCancellationRequested)
        {
            return await FallbackAsync(route, policy, method, request, e, options.CancellationToken).ConfigureAwait(false);
        }
    }

    private static bool FallbackApplies(CallPolicy policy, RpcException e) =>
        policy.FallbackWhen is { } when ? when(e) : CircuitBreaker.IsFailure(e.Status);

    private static async ValueTask<TResponse> FallbackAsync<TRequest, TResponse>(ServiceRoute route, CallPolicy policy, Method<TRequest, TResponse> method,
        TRequest request, RpcException error, CancellationToken ct)
    {
        Interlocked.Increment(ref route.FallbacksUsed);
        var value = await policy.FallbackHandler!(request, error, ct).ConfigureAwait(false);
        if (value is TResponse response) return response;
        if (value is null && default(TResponse) is null) return default!;
        throw new RpcException(StatusCode.Internal, $"call {method.FullName}: the fallback returned {value?.GetType().Name ?? "null"}, not {typeof(TResponse).Name}; the original error: {error.Message}", error.Trailers);
    }

    /// <summary>Health checks sent to open-breaker or ejected instances of <paramref name="service"/> (recovery through the heartbeat).</summary>
    public long Heartbeats(string service) => Interlocked.Read(ref Route(service).Heartbeats);

    /// <summary>Unary calls of <paramref name="service"/> answered by a per-method fallback instead of an error.</summary>
    public long FallbacksUsed(string service) => Interlocked.Read(ref Route(service).FallbacksUsed);

    private static void EnterBulkhead(ServiceRoute route, string fullName)
    {
        int now = Interlocked.Increment(ref route.InFlight);
        if (route.Policy.MaxConcurrentCalls is { } max && now > max)
        {
            Interlocked.Decrement(ref route.InFlight);
            Interlocked.Increment(ref route.BulkheadRejected);
            GovernanceMetrics.BulkheadRejected(route.Service, fullName);
            throw new RpcException(StatusCode.ResourceExhausted, $"call {fullName}: the bulkhead of service '{route.Service}' is full ({max} calls and streams in flight)");
        }
    }

    /// <summary>Calls of <paramref name="service"/> refused because its bulkhead was full.</summary>
    public long BulkheadRejected(string service) => Interlocked.Read(ref Route(service).BulkheadRejected);

    /// <summary>
    /// One hedged attempt on an endpoint on which the call was already counted as started (see
    /// <see cref="ServiceRoute.Acquire"/>); unary calls of the other fail modes run their attempts inline.
    /// </summary>
    private static async ValueTask<TResponse> AttemptAsync<TRequest, TResponse>(InstanceEndpoint endpoint, CallInvoker channel, long started, Method<TRequest, TResponse> method, TRequest request,
        CallOptions options, TimeSpan? remaining, CancellationToken ct, int attempt)
    {
        var attemptOptions = options with { CancellationToken = ct, Timeout = remaining ?? options.Timeout };
        bool ok = false;
        try
        {
            var response = await channel.UnaryAsync(method, request, attemptOptions).ConfigureAwait(false);
            ok = true;
            endpoint.ReportReachable(true);
            endpoint.Breaker?.Record(null);
            return response;
        }
        catch (RpcException e)
        {
            endpoint.ReportReachable(e.Status != StatusCode.Unavailable);
            // A loser cancelled by hedging, or a caller's cancel, says nothing about the instance.
            if (!ct.IsCancellationRequested) endpoint.Breaker?.Record(e.Status);
            else endpoint.Breaker?.Abandon();
            throw Decorate(e, endpoint, attempt);
        }
        finally
        {
            endpoint.OnFinished(started, ok);
        }
    }

    private async ValueTask<TResponse> HedgedAsync<TRequest, TResponse>(ServiceRoute route, CallPolicy policy, Method<TRequest, TResponse> method, TRequest request,
        CallOptions options, PickContext context, long deadline)
    {
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        var running = new List<(Task<TResponse> Task, InstanceEndpoint Endpoint)>(policy.MaxAttempts);
        var tried = new List<InstanceEndpoint>(policy.MaxAttempts);
        RpcException? last = null;
        int attempts = 0;

        bool Launch()
        {
            if (Remaining(deadline) is { } left && left <= TimeSpan.Zero)
            {
                last = DeadlineSpent(method, attempts, last);
                return false;
            }
            InstanceEndpoint endpoint;
            long started;
            try
            {
                endpoint = route.Acquire(context, tried, out started);
            }
            catch (NoInstanceException e)
            {
                last ??= new RpcException(StatusCode.Unavailable, $"call {method.FullName}: {e.Message}");
                return false;
            }
            tried.Add(endpoint);
            attempts++;
            running.Add((AttemptAsync(endpoint, ChannelOf(route, endpoint, policy), started, method, request, options, Remaining(deadline), losers.Token, attempts).AsTask(), endpoint));
            return true;
        }

        try
        {
            if (!Launch()) throw last!;
            while (running.Count > 0)
            {
                bool mayHedge = attempts < policy.MaxAttempts;
                var waitFor = new Task[running.Count + (mayHedge ? 1 : 0)];
                for (int i = 0; i < running.Count; i++) waitFor[i] = running[i].Task;
                Task? hedgeTimer = null;
                if (mayHedge) waitFor[^1] = hedgeTimer = Task.Delay(policy.HedgeDelay, losers.Token);
                var done = await Task.WhenAny(waitFor).ConfigureAwait(false);
                if (done == hedgeTimer)
                {
                    if (!done.IsCanceled && (route.Budget.TryWithdraw() || ReportDenied(route)))
                    {
                        GovernanceMetrics.Hedge(route.Service, method.Name);
                        Launch();
                    }
                    else if (!done.IsCanceled) attempts = policy.MaxAttempts; // budget empty: wait for what runs
                    continue;
                }
                int index = running.FindIndex(r => r.Task == done);
                var finished = running[index];
                running.RemoveAt(index);
                if (finished.Task.IsCompletedSuccessfully) return finished.Task.Result;
                var error = finished.Task.Exception!.InnerException;
                last = error as RpcException ?? throw error!;
                // A failure before the hedge timer fired: fail over at once rather than waiting out the delay.
                if (running.Count == 0 && IsRetryable(last.Status) && attempts < policy.MaxAttempts && !options.CancellationToken.IsCancellationRequested)
                {
                    if (route.Budget.TryWithdraw())
                    {
                        GovernanceMetrics.Retry(route.Service, method.Name);
                        Launch();
                    }
                    else
                    {
                        ReportDenied(route);
                    }
                }
            }
            throw last!;
        }
        finally
        {
            // The first answer won: cancel the others (the server sees the cancel) and observe their outcome.
            await losers.CancelAsync().ConfigureAwait(false);
            foreach (var r in running) _ = r.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    // ---- other call kinds: balanced and tagged, never retried (a stream's messages cannot be replayed) ----------

    /// <summary>A one-way call to a balanced instance; never retried (delivery is not acknowledged).</summary>
    public override async ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        var route = Route(method.Service);
        EnterBulkhead(route, method.FullName);
        try
        {
            var (endpoint, policy, started) = await PickOnceAsync(route, method.Name, method.FullName, request, options).ConfigureAwait(false);
            bool ok = false;
            try
            {
                await ChannelOf(route, endpoint, policy).OneWayAsync(method, request, WithPolicy(options, policy)).ConfigureAwait(false);
                ok = true;
            }
            catch (RpcException e)
            {
                RecordFailure(endpoint, e, options.CancellationToken);
                throw Decorate(e, endpoint, 1);
            }
            finally
            {
                if (ok) endpoint.Breaker?.Record(null);
                else endpoint.Breaker?.Abandon();
                endpoint.OnFinished(started, ok);
            }
        }
        finally
        {
            Interlocked.Decrement(ref route.InFlight);
        }
    }

    /// <summary>A client-streaming call to a balanced instance; not retried. It holds a bulkhead slot of its service until it ends.</summary>
    public override async ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        var route = Route(method.Service);
        EnterBulkhead(route, method.FullName);
        try
        {
            var (endpoint, policy, started) = await PickOnceAsync<object?>(route, method.Name, method.FullName, null, options).ConfigureAwait(false);
            bool ok = false;
            try
            {
                var response = await ChannelOf(route, endpoint, policy).ClientStreamingAsync(method, requests, WithPolicy(options, policy)).ConfigureAwait(false);
                ok = true;
                return response;
            }
            catch (RpcException e)
            {
                RecordFailure(endpoint, e, options.CancellationToken);
                throw Decorate(e, endpoint, 1);
            }
            finally
            {
                if (ok) endpoint.Breaker?.Record(null);
                else endpoint.Breaker?.Abandon();
                endpoint.OnFinished(started, ok);
            }
        }
        finally
        {
            Interlocked.Decrement(ref route.InFlight);
        }
    }

    /// <summary>A server-streaming call to a balanced instance; not retried. It holds a bulkhead slot of its service until the stream ends or is abandoned.</summary>
    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return StreamAsync(method.Service, method.Name, method.FullName, request, options, (channel, o) => channel.ServerStreaming(method, request, o));
    }

    /// <summary>A duplex call to a balanced instance; not retried. It holds a bulkhead slot of its service until the stream ends or is abandoned.</summary>
    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return StreamAsync<object?, TResponse>(method.Service, method.Name, method.FullName, null, options, (channel, o) => channel.DuplexStreaming(method, requests, o));
    }

    private async IAsyncEnumerable<TResponse> StreamAsync<TRequest, TResponse>(string service, string methodName, string fullName, TRequest request, CallOptions options,
        Func<CallInvoker, CallOptions, IAsyncEnumerable<TResponse>> open, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var route = Route(service);
        // Entered when enumeration starts and left in the iterator's finally, which runs when the stream completes,
        // fails, or the caller stops reading (await foreach disposes the enumerator): an abandoned stream frees its slot.
        EnterBulkhead(route, fullName);
        try
        {
            var (endpoint, policy, started) = await PickOnceAsync(route, methodName, fullName, request, options).ConfigureAwait(false);
            bool ok = false;
            bool failed = false;
            try
            {
                var enumerator = open(ChannelOf(route, endpoint, policy), WithPolicy(options, policy)).GetAsyncEnumerator(cancellationToken);
                await using (enumerator.ConfigureAwait(false))
                {
                    while (true)
                    {
                        bool more;
                        try
                        {
                            more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                        }
                        catch (RpcException e)
                        {
                            failed = true;
                            RecordFailure(endpoint, e, options.CancellationToken);
                            throw Decorate(e, endpoint, 1);
                        }
                        if (!more) break;
                        yield return enumerator.Current;
                    }
                }
                ok = true;
            }
            finally
            {
                if (ok) endpoint.Breaker?.Record(null);
                else if (!failed) endpoint.Breaker?.Abandon();
                endpoint.OnFinished(started, ok);
            }
        }
        finally
        {
            Interlocked.Decrement(ref route.InFlight);
        }
    }

    /// <summary>Feeds a failed stream or one-way call into the instance's ejection and breaker, as unary attempts do.</summary>
    private static void RecordFailure(InstanceEndpoint endpoint, RpcException e, CancellationToken ct)
    {
        endpoint.ReportReachable(e.Status != StatusCode.Unavailable);
        if (!ct.IsCancellationRequested) endpoint.Breaker?.Record(e.Status);
        else endpoint.Breaker?.Abandon();
    }

    /// <summary>The instance's channel for a call under <paramref name="policy"/>: its own, unless the method names a codec of its own.</summary>
    private static CallInvoker ChannelOf(ServiceRoute route, InstanceEndpoint endpoint, CallPolicy policy) =>
        policy.Codec is null ? endpoint.Channel! : route.ChannelFor(endpoint, policy.Codec);

    private static CallOptions WithPolicy(CallOptions options, CallPolicy policy) =>
        policy.Compression is { } compression && options.Compression is null ? options with { Compression = compression } : options;

    private async ValueTask<(InstanceEndpoint Endpoint, CallPolicy Policy, long Started)> PickOnceAsync<TRequest>(ServiceRoute route, string methodName, string fullName, TRequest request, CallOptions options)
    {
        var policy = route.Policy.For(methodName);
        await route.ReadyAsync(_policies.ResolveTimeout, options.CancellationToken).ConfigureAwait(false);
        CheckRateLimit(route, methodName, fullName);
        try
        {
            var endpoint = route.Acquire(new PickContext(HashKey(policy, request, options)), null, out long started);
            return (endpoint, policy, started);
        }
        catch (NoInstanceException e)
        {
            throw new RpcException(StatusCode.Unavailable, $"call {fullName}: {e.Message}");
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void CheckRateLimit(ServiceRoute route, string methodName, string fullName)
    {
        // One snapshot: a reload between the two checks must not pair the old method limit with the new service limit.
        var settings = route.Settings;
        // The method's own limit first: it is the narrower one, and a call it refuses then spends nothing of the service's.
        if (settings.MethodLimiters.TryGetValue(methodName, out var method))
        {
            using var lease = method.Limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                Interlocked.Increment(ref route.RateLimited);
                Interlocked.Increment(ref method.Refused.Value);
                GovernanceMetrics.RateLimited(route.Service, fullName);
                throw new RpcException(StatusCode.ResourceExhausted, $"call {fullName}: the client rate limit of method '{fullName}' ({method.Text}) is exceeded");
            }
        }
        if (settings.RateLimiter is { } limiter)
        {
            using var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                Interlocked.Increment(ref route.RateLimited);
                GovernanceMetrics.RateLimited(route.Service, fullName);
                throw new RpcException(StatusCode.ResourceExhausted, $"call {fullName}: the client rate limit of service '{route.Service}' ({settings.Policy.RateLimit}) is exceeded");
            }
        }
    }

    /// <summary>Calls of <paramref name="service"/> refused by a client rate limit (the service's or one of its methods').</summary>
    public long RateLimited(string service) => Interlocked.Read(ref Route(service).RateLimited);

    /// <summary>Calls of method <paramref name="method"/> of <paramref name="service"/> refused by that method's own client rate limit.</summary>
    public long RateLimited(string service, string method) =>
        Route(service).MethodLimiters.TryGetValue(method, out var m) ? Interlocked.Read(ref m.Refused.Value) : 0;

    private static FailMode EffectiveMode(CallPolicy policy, bool idempotent) =>
        policy.FailMode is FailMode.FailOver or FailMode.FailRetry or FailMode.FailBackup && !idempotent && !policy.RetryNonIdempotent
            ? FailMode.FailFast
            : policy.FailMode;

    /// <summary>
    /// Whether the fail mode lets this failure be retried. A call the server did not run (refused while shutting down
    /// or overloaded, or lost above a go-away's last id) is retried by a retrying policy even when the method is not
    /// idempotent: sending it again cannot run it twice.
    /// </summary>
    private static bool MayRetry(FailMode mode, CallPolicy policy, RpcException failure) =>
        mode is not (FailMode.FailFast or FailMode.FailSafe)
        || failure.NotExecuted && policy.FailMode is FailMode.FailOver or FailMode.FailRetry or FailMode.FailBackup;

    /// <summary>Failures where another attempt can help: the instance was unreachable, went away, or shed the call.</summary>
    private static bool IsRetryable(StatusCode status) => status is StatusCode.Unavailable or StatusCode.ResourceExhausted;

    private long Deadline<TRequest, TResponse>(in CallOptions options, CallPolicy policy, Method<TRequest, TResponse> method)
    {
        var budget = options.Timeout ?? policy.Timeout ?? _options.Client.DefaultTimeout;
        if (budget is not { } b) return long.MaxValue;
        if (b <= TimeSpan.Zero) throw new RpcException(StatusCode.DeadlineExceeded, $"call {method.FullName}: the timeout is zero or negative");
        return Stopwatch.GetTimestamp() + (long)(b.TotalSeconds * Stopwatch.Frequency);
    }

    private static TimeSpan? Remaining(long deadline) =>
        deadline == long.MaxValue ? null : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);

    private TimeSpan ResolveBudget(long deadline)
    {
        var resolve = _policies.ResolveTimeout;
        return Remaining(deadline) is { } left && left < resolve ? (left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1)) : resolve;
    }

    private static RpcException DeadlineSpent<TRequest, TResponse>(Method<TRequest, TResponse> method, int attempts, RpcException? last) =>
        new(StatusCode.DeadlineExceeded, $"call {method.FullName}: the deadline passed after {attempts} attempt(s)" + (last is null ? "" : $"; last error: {last.Message}"), last?.Trailers);

    private static string? HashKey<TRequest>(CallPolicy policy, TRequest request, in CallOptions options) =>
        policy.HashKeySelector is { } selector ? selector(request) : options.Headers?.Get(policy.HashKeyHeader);

    private bool ReportDenied(ServiceRoute route)
    {
        long denied = route.Budget.Denied;
        GovernanceMetrics.Denied(route.Service);
        // Logged at powers of two: visible at once, never a flood during a long outage.
        if ((denied & (denied - 1)) == 0) GovernanceLog.BudgetExhausted(_log, route.Service, denied);
        return false;
    }

    private static RpcException Decorate(RpcException e, InstanceEndpoint endpoint, int attempt)
    {
        if (e.Trailers?.Get(GovernedCall.InstanceTrailer) is not null) return e;
        var trailers = new Metadata();
        trailers.AddRange(e.Trailers);
        trailers.Set(GovernedCall.InstanceTrailer, endpoint.Instance.Id);
        return new RpcException(e.Status, $"{e.Message} [instance {endpoint.Instance.Id} at {endpoint.Instance.Address}, attempt {attempt}]", trailers)
        {
            NotExecuted = e.NotExecuted,
        };
    }

    /// <summary>Stops the watches and closes every instance channel. The registry is not disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        ServiceRoute[] routes;
        lock (_gate)
        {
            if (_disposed != 0) return;
            _disposed = 1;
            routes = _routes.Values.ToArray();
            _routes.Clear();
            _lastRoute = null;
        }
        foreach (var r in routes) await r.DisposeAsync().ConfigureAwait(false);
    }
}
