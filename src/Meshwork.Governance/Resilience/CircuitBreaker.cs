using System.Diagnostics;
using Meshwork.Rpc;

namespace Meshwork.Governance.Resilience;

/// <summary>Settings of the per-instance circuit breaker. Defaults follow Polly v8's, which are tuned for services of this kind.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Break at or above this share of failed calls in the window. Default 0.5, as Polly: a half-failing instance helps nobody.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls the window must hold before the ratio counts. Default 10: a couple of early errors do not open a quiet instance's breaker.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>Length of the sliding window (ten buckets). Default 10 s: long enough for a ratio, short enough to notice a change.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open breaker refuses calls before letting one probe through (half-open). Default 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Recovery through the heartbeat: while the breaker is open, the instance gets a health check
    /// (<see cref="Server.HealthService"/>) every <see cref="ProbeInterval"/>. A "serving" answer closes the breaker at
    /// once; a failed one restarts the break, so no user call is spent as a half-open probe on an instance known to
    /// be down. A server without the health service is left to the half-open probe. Default true.
    /// </summary>
    public bool HealthProbe { get; set; } = true;

    /// <summary>
    /// Time between heartbeats to an open instance, and the budget of each. Default 1 s: a recovered instance is back
    /// within about a second, at the cost of one tiny call per second per broken instance.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting, prefixed by <paramref name="where"/>.</summary>
    public void Validate(string where)
    {
        if (ProbeInterval < TimeSpan.FromMilliseconds(10)) throw new ArgumentException($"{where}.ProbeInterval must be at least 10 ms");
        if (FailureRatio is <= 0 or > 1 || double.IsNaN(FailureRatio)) throw new ArgumentException($"{where}.FailureRatio must be in (0, 1]");
        if (MinimumThroughput < 1) throw new ArgumentException($"{where}.MinimumThroughput must be at least 1");
        if (SamplingDuration < TimeSpan.FromMilliseconds(100)) throw new ArgumentException($"{where}.SamplingDuration must be at least 100 ms");
        if (BreakDuration <= TimeSpan.Zero) throw new ArgumentException($"{where}.BreakDuration must be positive");
    }

    /// <summary>A copy.</summary>
    public CircuitBreakerOptions Clone() => (CircuitBreakerOptions)MemberwiseClone();
}

/// <summary>State of a circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Calls flow; outcomes are counted.</summary>
    Closed,

    /// <summary>Calls are refused until the break ends.</summary>
    Open,

    /// <summary>One probe call is allowed; its outcome closes or reopens the breaker.</summary>
    HalfOpen,
}

/// <summary>
/// A per-instance circuit breaker: a sliding window of ten buckets counts outcomes; at the failure ratio (with the
/// minimum throughput) it opens for the break duration, then lets a single probe through. Only failures that say
/// something about the instance count: Unavailable, DeadlineExceeded, ResourceExhausted, Internal, Unknown, DataLoss.
/// </summary>
public sealed class CircuitBreaker
{
    private const int Buckets = 10;
    private CircuitBreakerOptions _options;
    private long _bucketTicks;
    private long _breakTicks;
    private readonly Lock _gate = new();
    private readonly int[] _successes = new int[Buckets];
    private readonly int[] _failures = new int[Buckets];
    private readonly long[] _bucketEpoch = new long[Buckets];
    /// <summary>Written under <see cref="_gate"/>; read without it by <see cref="TryAcquire"/>'s closed fast path.</summary>
    private volatile CircuitState _state;
    private long _openUntil;
    private bool _probeInFlight;
    private long _opened;

    /// <summary>Creates a closed breaker.</summary>
    public CircuitBreaker(CircuitBreakerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate("CircuitBreakerOptions");
        _options = options;
        _bucketTicks = Math.Max(1, (long)(options.SamplingDuration.TotalSeconds * Stopwatch.Frequency / Buckets));
        _breakTicks = (long)(options.BreakDuration.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Takes new settings (a configuration reload) and keeps the state: an open breaker stays open until its current
    /// break ends, a closed one keeps its window. Only a new <see cref="CircuitBreakerOptions.SamplingDuration"/>
    /// empties the window, because its buckets then measure another span of time.
    /// </summary>
    internal void Reconfigure(CircuitBreakerOptions options)
    {
        long bucketTicks = Math.Max(1, (long)(options.SamplingDuration.TotalSeconds * Stopwatch.Frequency / Buckets));
        lock (_gate)
        {
            if (bucketTicks != _bucketTicks)
            {
                Array.Clear(_successes);
                Array.Clear(_failures);
                Array.Clear(_bucketEpoch);
            }
            _options = options;
            _bucketTicks = bucketTicks;
            _breakTicks = (long)(options.BreakDuration.TotalSeconds * Stopwatch.Frequency);
        }
    }

    /// <summary>The state now (an open breaker whose break ended reads as half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (_gate) return _state == CircuitState.Open && Stopwatch.GetTimestamp() >= _openUntil ? CircuitState.HalfOpen : _state;
        }
    }

    /// <summary>Called (under the breaker's lock, so it must be quick) with the new state at every transition; for metrics.</summary>
    internal Action<CircuitState>? Transitioned { get; init; }

    /// <summary>How many times the breaker opened.</summary>
    public long TimesOpened => Interlocked.Read(ref _opened);

    /// <summary>True when a call may go to the instance now; in half-open, claims the single probe slot.</summary>
    public bool TryAcquire()
    {
        // Every call asks: a closed breaker answers without the lock. A call that reads Closed just before another
        // thread opens the breaker passes, as it would had it taken the lock first.
        if (_state == CircuitState.Closed) return true;
        lock (_gate)
        {
            switch (_state)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when Stopwatch.GetTimestamp() < _openUntil:
                    return false;
                default:
                    if (_probeInFlight) return false;
                    if (_state != CircuitState.HalfOpen) Transitioned?.Invoke(CircuitState.HalfOpen);
                    _state = CircuitState.HalfOpen;
                    _probeInFlight = true;
                    return true;
            }
        }
    }

    /// <summary>Forgets a call that ended without a verdict (cancelled by the caller or by hedging), freeing the probe slot.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            if (_state == CircuitState.HalfOpen) _probeInFlight = false;
        }
    }

    /// <summary>Whether <paramref name="status"/> counts against the instance.</summary>
    public static bool IsFailure(StatusCode status) => status is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted
        or StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss;

    /// <summary>Records the outcome of a call (null status: success).</summary>
    public void Record(StatusCode? failure) => Record(failure, Stopwatch.GetTimestamp());

    /// <summary>Records the outcome of a call that ended at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp the caller already read).</summary>
    internal void Record(StatusCode? failure, long now)
    {
        bool failed = failure is { } s && IsFailure(s);
        if (!failed && _state == CircuitState.Closed)
        {
            // The common case, once per call: a success on a closed breaker whose current bucket is already in use is
            // one atomic increment, without the lock. The races this admits are harmless: a success counted just as
            // the bucket is recycled or the breaker opens lands in a window that is cleared before it matters.
            long epochNow = now / Volatile.Read(ref _bucketTicks);
            int slot = (int)(epochNow % Buckets);
            if (Volatile.Read(ref _bucketEpoch[slot]) == epochNow)
            {
                Interlocked.Increment(ref _successes[slot]);
                return;
            }
        }
        lock (_gate)
        {
            if (_state == CircuitState.HalfOpen)
            {
                _probeInFlight = false;
                if (failed)
                {
                    Open(now);
                }
                else
                {
                    _state = CircuitState.Closed;
                    Transitioned?.Invoke(CircuitState.Closed);
                    Array.Clear(_successes);
                    Array.Clear(_failures);
                }
                return;
            }
            if (_state == CircuitState.Open) return;
            long epoch = now / _bucketTicks;
            int i = (int)(epoch % Buckets);
            if (_bucketEpoch[i] != epoch)
            {
                _successes[i] = 0;
                _failures[i] = 0;
                Volatile.Write(ref _bucketEpoch[i], epoch); // published after the reset, for the lock-free success path
            }
            if (!failed)
            {
                // Atomic even under the lock: the fast path above increments without it.
                Interlocked.Increment(ref _successes[i]);
                return; // only a failure can open the breaker: the window is summed then, not on every success
            }
            _failures[i]++;
            int total = 0, failures = 0;
            for (int b = 0; b < Buckets; b++)
            {
                if (epoch - _bucketEpoch[b] >= Buckets) continue;
                total += _successes[b] + _failures[b];
                failures += _failures[b];
            }
            if (total >= _options.MinimumThroughput && failures >= _options.FailureRatio * total) Open(now);
        }
    }

    private void Open(long now)
    {
        _state = CircuitState.Open;
        _openUntil = now + _breakTicks;
        Interlocked.Increment(ref _opened);
        Opened?.Invoke();
        Transitioned?.Invoke(CircuitState.Open);
    }

    /// <summary>Called (under the breaker's lock, so it must only signal) each time the breaker opens: starts the heartbeat.</summary>
    internal Action? Opened { get; set; }

    /// <summary>Heartbeats answered "serving" that closed this breaker.</summary>
    public long ClosedByHeartbeat => Interlocked.Read(ref _closedByHeartbeat);

    private long _closedByHeartbeat;

    /// <summary>True while the breaker is open or half-open: the instance is one the heartbeat should check.</summary>
    public bool NeedsHeartbeat
    {
        get
        {
            lock (_gate) return _state != CircuitState.Closed;
        }
    }

    /// <summary>
    /// The heartbeat's verdict on an open or half-open breaker. Healthy: close it now (the window starts empty).
    /// Unhealthy: restart the break, so that the half-open probe is not spent on an instance known to be down.
    /// </summary>
    public void ReportHeartbeat(bool healthy)
    {
        lock (_gate)
        {
            if (_state == CircuitState.Closed) return;
            if (healthy)
            {
                _state = CircuitState.Closed;
                _probeInFlight = false;
                Array.Clear(_successes);
                Array.Clear(_failures);
                Interlocked.Increment(ref _closedByHeartbeat);
                Transitioned?.Invoke(CircuitState.Closed);
            }
            else if (!_probeInFlight)
            {
                _state = CircuitState.Open;
                _openUntil = Stopwatch.GetTimestamp() + _breakTicks;
                Transitioned?.Invoke(CircuitState.Open);
            }
        }
    }
}
