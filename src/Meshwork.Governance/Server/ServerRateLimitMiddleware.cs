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

    /// <summary>A limit applied to each caller separately, across all methods. Default null (none).</summary>
    public RateLimitOptions? PerCaller { get; set; }

    /// <summary>Request header naming the caller. Default <c>caller</c>; without it, the peer's address is the caller.</summary>
    public string CallerHeader { get; set; } = "caller";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        foreach (var (k, v) in Services) v.Validate($"ServerRateLimitOptions.Services[{k}]");
        foreach (var (k, v) in Methods) v.Validate($"ServerRateLimitOptions.Methods[{k}]");
        PerCaller?.Validate("ServerRateLimitOptions.PerCaller");
        if (string.IsNullOrWhiteSpace(CallerHeader)) throw new ArgumentException("ServerRateLimitOptions.CallerHeader must not be empty");
    }
}

/// <summary>
/// Sheds load at the door: a call over a method, service or caller limit is answered ResourceExhausted at once,
/// naming the limit, before the handler runs. Clients treat that status as retryable on another instance (within
/// their retry budget). Per-caller buckets are partitioned and reclaimed when idle, so many callers stay bounded.
/// </summary>
public sealed class ServerRateLimitMiddleware : IServerMiddleware, IAsyncDisposable
{
    private readonly Dictionary<string, (RateLimiter Limiter, string Text)> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (RateLimiter Limiter, string Text)> _methods = new(StringComparer.Ordinal);
    private readonly PartitionedRateLimiter<string>? _callers;
    private readonly string? _callerText;
    private readonly string _callerHeader;
    private long _rejected;

    /// <summary>Builds the limiters.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public ServerRateLimitMiddleware(ServerRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        foreach (var (k, v) in options.Services) _services[k] = (v.Create(), v.ToString());
        foreach (var (k, v) in options.Methods) _methods[k] = (v.Create(), v.ToString());
        if (options.PerCaller is { } perCaller)
        {
            var template = perCaller;
            _callerText = perCaller.ToString();
            _callers = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.Get(caller, _ => template.Create()));
        }
        _callerHeader = options.CallerHeader;
    }

    /// <summary>Calls refused so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <inheritdoc />
    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        var fullName = context.Service + "/" + context.Method;
        if (_methods.TryGetValue(fullName, out var m)) Check(m.Limiter, context, "method", $"method {fullName} ({m.Text})");
        if (_services.TryGetValue(context.Service, out var s)) Check(s.Limiter, context, "service", $"service {context.Service} ({s.Text})");
        if (_callers is not null)
        {
            var caller = context.RequestHeaders?.Get(_callerHeader) ?? PeerHost(context.Peer);
            using var lease = _callers.AttemptAcquire(caller);
            if (!lease.IsAcquired) Reject(context, "caller", $"caller {caller} ({_callerText})");
        }
        return next(context);
    }

    private void Check(RateLimiter limiter, ServerCallContext context, string limit, string what)
    {
        using var lease = limiter.AttemptAcquire();
        if (!lease.IsAcquired) Reject(context, limit, what);
    }

    private void Reject(ServerCallContext context, string limit, string what)
    {
        Interlocked.Increment(ref _rejected);
        GovernanceMetrics.Shed(context.Service, context.Method, limit);
        throw new RpcException(StatusCode.ResourceExhausted, $"rate limit of {what} exceeded");
    }

    private static string PeerHost(string peer)
    {
        int colon = peer.LastIndexOf(':');
        return colon > 0 ? peer[..colon] : peer;
    }

    /// <summary>Disposes the limiters.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (l, _) in _services.Values) await l.DisposeAsync().ConfigureAwait(false);
        foreach (var (l, _) in _methods.Values) await l.DisposeAsync().ConfigureAwait(false);
        if (_callers is not null) await _callers.DisposeAsync().ConfigureAwait(false);
    }
}
