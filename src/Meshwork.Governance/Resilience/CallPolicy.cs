using Meshwork.Rpc;

namespace Meshwork.Governance.Resilience;

/// <summary>How calls of one service or method are made resilient. Every setting has a default that is safe for any method.</summary>
public sealed class CallPolicy
{
    /// <summary>
    /// Fail mode. Default <see cref="FailMode.FailOver"/>: another instance is the best bet after a failure. Applies
    /// to idempotent methods only; other methods behave as fail-fast unless <see cref="RetryNonIdempotent"/> is set.
    /// </summary>
    public FailMode FailMode { get; set; } = FailMode.FailOver;

    /// <summary>Most attempts per call, the first included (fail-over, fail-retry, fail-backup). Default 3: survives two bad instances without tripling the load.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Fail-backup: how long to wait for an answer before sending the hedge. Default 50 ms, around a LAN service's p99; tune to your p95–p99.</summary>
    public TimeSpan HedgeDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Retry and hedge methods not marked idempotent. Default false: a retried payment is a double payment.</summary>
    public bool RetryNonIdempotent { get; set; }

    /// <summary>Time budget of the whole call, all attempts together, when the caller sets none. Default null: the channel's default timeout.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Fail-safe: produces the value returned instead of the error. Default null: the response type's default value.</summary>
    public Func<RpcException, object?>? Fallback { get; set; }

    /// <summary>
    /// Compression of request bodies ("gzip", "br") when the caller sets none. Default null: the channel's automatic
    /// compression of large messages only, because compressing small messages costs more CPU than it saves bytes.
    /// </summary>
    public string? Compression { get; set; }

    /// <summary>
    /// Serializer of this method's calls, by name ("msgpack", "protobuf", or any registered in the client template's
    /// serializers), when it differs from the service's (<see cref="ServicePolicy.Codec"/>). Default null: the
    /// service's codec. Such calls go over a second channel to the same instance, made for that codec on first use
    /// (the frame names its serializer, and the server answers in the codec of the request), so methods without a
    /// codec of their own keep the service channel's allocation-free path. Both ends must know the codec.
    /// </summary>
    public string? Codec { get; set; }

    /// <summary>
    /// Client-side rate limit of this method alone, on top of the service's. Default null (none): only the owner
    /// knows what a method costs. Calls over it fail at once with ResourceExhausted and are never retried.
    /// </summary>
    public RateLimitOptions? RateLimit { get; set; }

    /// <summary>
    /// Per-method fallback for unary calls, in any fail mode: when the call finally fails with an error that
    /// <see cref="FallbackWhen"/> accepts, its result is returned instead. Default null (none). Runs after retries
    /// and hedges, so it answers only what resilience could not; a fallback that throws surfaces its own error.
    /// </summary>
    public CallFallback? FallbackHandler { get; set; }

    /// <summary>
    /// Which errors <see cref="FallbackHandler"/> answers. Default null: failures of the dependency itself
    /// (Unavailable, DeadlineExceeded, ResourceExhausted, including the client's own rate limit and bulkhead,
    /// Internal, Unknown, DataLoss); application errors such as InvalidArgument or NotFound pass through, because
    /// a substitute answer would hide a bug in the caller.
    /// </summary>
    public Func<RpcException, bool>? FallbackWhen { get; set; }

    /// <summary>Sets <see cref="FallbackHandler"/> from a typed delegate for <paramref name="method"/>; returns this policy.</summary>
    public CallPolicy WithFallback<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<TRequest, RpcException, CancellationToken, ValueTask<TResponse>> fallback)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(fallback);
        FallbackHandler = async (request, error, ct) => await fallback((TRequest)request!, error, ct).ConfigureAwait(false);
        return this;
    }

    /// <summary>Request header whose value is the hash key for hash balancers. Default <c>hash-key</c>.</summary>
    public string HashKeyHeader { get; set; } = "hash-key";

    /// <summary>Derives the hash key from the request message (takes precedence over the header). Default null.</summary>
    public Func<object?, string?>? HashKeySelector { get; set; }

    /// <summary>A copy, for per-method policies that start from the service's.</summary>
    public CallPolicy Clone()
    {
        var copy = (CallPolicy)MemberwiseClone();
        copy.RateLimit = RateLimit?.Clone();
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting, prefixed by <paramref name="where"/>.</summary>
    public void Validate(string where)
    {
        if (MaxAttempts is < 1 or > 10) throw new ArgumentException($"{where}.MaxAttempts must be between 1 and 10, not {MaxAttempts}");
        if (HedgeDelay <= TimeSpan.Zero) throw new ArgumentException($"{where}.HedgeDelay must be positive");
        if (Timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentException($"{where}.Timeout must be positive");
        if (!Enum.IsDefined(FailMode)) throw new ArgumentException($"{where}.FailMode {(int)FailMode} is not a fail mode");
        RateLimit?.Validate(where + ".RateLimit");
    }
}
