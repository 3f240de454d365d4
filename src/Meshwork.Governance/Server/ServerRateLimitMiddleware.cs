using System.Threading.RateLimiting;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance.Server;

/// <summary>Server-side rate limits per method, per service and per caller. Defaults: none (only the owner knows its capacity).</summary>
public sealed class ServerRateLimitOptions
{
    /// <summary>Limits by service name.</summary>
    public Dictionary<string, RateLimitOptions> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>Limits by full method name (<c>service/method</c>).</summary>
    public Dictionary<string, RateLimitOptions> Methods { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Concurrency limits (server bulkheads) by service name: most calls of the service being handled at once; one more
    /// is refused at once with ResourceExhausted. Default none. A slow method cannot take every thread and connection
    /// slot of the server while it waits on something downstream.
    /// </summary>
    public Dictionary<string, int> MaxConcurrentByService { get; } = new(StringComparer.Ordinal);

    /// <summary>Concurrency limits by full method name (<c>service/method</c>); see <see cref="MaxConcurrentByService"/>. Default none.</summary>
    public Dictionary<string, int> MaxConcurrentByMethod { get; } = new(StringComparer.Ordinal);

    /// <summary>A limit applied to each caller separately, across all methods. Default null (none).</summary>
    public RateLimitOptions? PerCaller { get; set; }

    /// <summary>Request header naming the caller. Default <c>caller</c>; without it, the peer's address is the caller.</summary>
    public string CallerHeader { get; set; } = "caller";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        foreach (var (k, v) in Services) v.Validate($"ServerRateLimitOptions.Services[{k}]");
        foreach (var (k, v) in Methods) v.Validate($"ServerRateLimitOptions.Methods[{k}]");
        foreach (var (k, v) in MaxConcurrentByService)
        {
            if (v < 1) throw new ArgumentException($"ServerRateLimitOptions.MaxConcurrentByService[{k}] must be at least 1 (was {v})");
        }
        foreach (var (k, v) in MaxConcurrentByMethod)
        {
            if (v < 1) throw new ArgumentException($"ServerRateLimitOptions.MaxConcurrentByMethod[{k}] must be at least 1 (was {v})");
            if (!k.Contains('/', StringComparison.Ordinal)) throw new ArgumentException($"ServerRateLimitOptions.MaxConcurrentByMethod[{k}]: '{k}' is not a full method name (service/method)");
        }
        PerCaller?.Validate("ServerRateLimitOptions.PerCaller");
        if (string.IsNullOrWhiteSpace(CallerHeader)) throw new ArgumentException("ServerRateLimitOptions.CallerHeader must not be empty");
    }
}

/// <summary>
/// Sheds load at the door: a call over a method, service or caller rate limit, or over a method's or service's
/// concurrency limit (calls being handled at once), is answered ResourceExhausted at once, naming the limit, before the
/// handler runs. Clients treat that status as retryable on another instance (within
/// their retry budget). Per-caller buckets are partitioned and reclaimed when idle, so many callers stay bounded.
/// <see cref="Reconfigure"/> puts new limits in force while the server runs (hot reload).
/// </summary>
public sealed class ServerRateLimitMiddleware : IServerMiddleware, IAsyncDisposable
{
    private readonly Lock _reconfigureGate = new();
    private volatile Limits _limits;
    private long _rejected;

    /// <summary>Builds the limiters.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public ServerRateLimitMiddleware(ServerRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _limits = new Limits(options);
    }

    /// <summary>Calls refused so far (across reconfigurations).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Whether any limit is in force (false for options without limits: every call passes at the cost of one read).</summary>
    public bool HasLimits => !_limits.IsEmpty;

    /// <summary>
    /// Puts new limits in force for the calls that arrive from now on; calls already admitted are not affected. Every
    /// rate bucket is new and starts full (like a restart). A concurrency limit that stays (same service or method)
    /// keeps counting the calls in flight under it, so raising or lowering it applies to them at once; one that goes
    /// stops counting. The old limiters are disposed; a call that was checking them at that moment is checked again
    /// against the new ones. Throws <see cref="ArgumentException"/> naming an invalid setting, and then nothing changes.
    /// </summary>
    public void Reconfigure(ServerRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Limits old;
        lock (_reconfigureGate)
        {
            old = _limits;
            _limits = new Limits(options, old);
        }
        // Disposed in the background: the limiters' disposal is quick, and no caller should wait on it.
        _ = old.DisposeAsync().AsTask();
    }

    /// <inheritdoc />
    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        var limits = _limits;
        if (limits.IsEmpty) return next(context);
        // Concurrency first: a call refused for concurrency must not spend rate tokens that calls admitted later need.
        Bulkhead? method = null, service = null;
        string? fullName = null; // "service/method", built once for the method limits that need it
        if (limits.HasBulkheads)
        {
            if (limits.MethodBulkheads.Count > 0) limits.MethodBulkheads.TryGetValue(FullName(context, ref fullName), out method);
            limits.ServiceBulkheads.TryGetValue(context.Service, out service);
            if (method is not null && !method.TryEnter()) Reject(context, "method-concurrency", $"method {fullName} ({method.Describe()})", "concurrency limit");
            if (service is not null && !service.TryEnter())
            {
                method?.Exit();
                Reject(context, "service-concurrency", $"service {context.Service} ({service.Describe()})", "concurrency limit");
            }
        }
        try
        {
            while (true)
            {
                try
                {
                    Check(limits, context, ref fullName);
                    break;
                }
                catch (ObjectDisposedException) when (!ReferenceEquals(limits, _limits))
                {
                    // A reload replaced (and disposed) the limits while this call was checked: check against the new ones.
                    limits = _limits;
                }
            }
        }
        catch
        {
            method?.Exit();
            service?.Exit();
            throw;
        }
        if (method is null && service is null) return next(context);
        return RunInsideAsync(context, next, method, service);
    }

    private static async ValueTask RunInsideAsync(ServerCallContext context, ServerCallHandler next, Bulkhead? method, Bulkhead? service)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            method?.Exit();
            service?.Exit();
        }
    }

    private static string FullName(ServerCallContext context, ref string? fullName) => fullName ??= context.Service + "/" + context.Method;

    private void Check(Limits limits, ServerCallContext context, ref string? fullName)
    {
        if (limits.Methods.Count > 0 && limits.Methods.TryGetValue(FullName(context, ref fullName), out var m))
        {
            Check(m.Limiter, context, "method", $"method {fullName} ({m.Text})");
        }
        if (limits.Services.TryGetValue(context.Service, out var s)) Check(s.Limiter, context, "service", $"service {context.Service} ({s.Text})");
        if (limits.Callers is not null)
        {
            var caller = context.RequestHeaders?.Get(limits.CallerHeader) ?? PeerHost(context.Peer);
            using var lease = limits.Callers.AttemptAcquire(caller);
            if (!lease.IsAcquired) Reject(context, "caller", $"caller {caller} ({limits.CallerText})");
        }
    }

    private void Check(RateLimiter limiter, ServerCallContext context, string limit, string what)
    {
        using var lease = limiter.AttemptAcquire();
        if (!lease.IsAcquired) Reject(context, limit, what);
    }

    private void Reject(ServerCallContext context, string limit, string what, string kind = "rate limit")
    {
        Interlocked.Increment(ref _rejected);
        GovernanceMetrics.Shed(context.Service, context.Method, limit);
        throw new RpcException(StatusCode.ResourceExhausted, $"{kind} of {what} exceeded");
    }

    /// <summary>Calls being handled under one concurrency limit. Kept across reloads while its service or method keeps a limit.</summary>
    private sealed class Bulkhead(int max)
    {
        private int _inFlight;
        private volatile int _max = max;

        public int Max
        {
            get => _max;
            set => _max = value;
        }

        public bool TryEnter()
        {
            if (Interlocked.Increment(ref _inFlight) <= _max) return true;
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        public void Exit() => Interlocked.Decrement(ref _inFlight);

        public string Describe() => $"at most {_max} at once";
    }

    private static string PeerHost(string peer)
    {
        int colon = peer.LastIndexOf(':');
        return colon > 0 ? peer[..colon] : peer;
    }

    /// <summary>Disposes the limiters.</summary>
    public ValueTask DisposeAsync() => _limits.DisposeAsync();

    /// <summary>One set of limiters, built from one set of options and replaced as a whole.</summary>
    private sealed class Limits : IAsyncDisposable
    {
        public Limits(ServerRateLimitOptions options, Limits? previous = null)
        {
            foreach (var (k, v) in options.Services) Services[k] = (v.Create(), v.ToString());
            foreach (var (k, v) in options.Methods) Methods[k] = (v.Create(), v.ToString());
            foreach (var (k, v) in options.MaxConcurrentByService) ServiceBulkheads[k] = Carry(previous?.ServiceBulkheads, k, v);
            foreach (var (k, v) in options.MaxConcurrentByMethod) MethodBulkheads[k] = Carry(previous?.MethodBulkheads, k, v);
            HasBulkheads = ServiceBulkheads.Count > 0 || MethodBulkheads.Count > 0;
            if (options.PerCaller is { } perCaller)
            {
                var template = perCaller.Clone();
                CallerText = perCaller.ToString();
                Callers = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.Get(caller, _ => template.Create()));
            }
            CallerHeader = options.CallerHeader;
            IsEmpty = Services.Count == 0 && Methods.Count == 0 && Callers is null && !HasBulkheads;
        }

        /// <summary>The counter of the same limit before the reload, with its new maximum, so calls in flight stay counted.</summary>
        private static Bulkhead Carry(Dictionary<string, Bulkhead>? previous, string key, int max)
        {
            if (previous is not null && previous.TryGetValue(key, out var kept))
            {
                kept.Max = max;
                return kept;
            }
            return new Bulkhead(max);
        }

        public Dictionary<string, Bulkhead> ServiceBulkheads { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Bulkhead> MethodBulkheads { get; } = new(StringComparer.Ordinal);

        public bool HasBulkheads { get; }

        public Dictionary<string, (RateLimiter Limiter, string Text)> Services { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (RateLimiter Limiter, string Text)> Methods { get; } = new(StringComparer.Ordinal);

        public PartitionedRateLimiter<string>? Callers { get; }

        public string? CallerText { get; }

        public string CallerHeader { get; }

        public bool IsEmpty { get; }

        public async ValueTask DisposeAsync()
        {
            foreach (var (l, _) in Services.Values) await l.DisposeAsync().ConfigureAwait(false);
            foreach (var (l, _) in Methods.Values) await l.DisposeAsync().ConfigureAwait(false);
            if (Callers is not null) await Callers.DisposeAsync().ConfigureAwait(false);
        }
    }
}
