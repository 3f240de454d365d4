using System.Diagnostics;
using Meshwork.Discovery;
using Meshwork.Rpc.Client;

namespace Meshwork.Governance.Balancing;

/// <summary>
/// One routable instance as balancers see it: the record plus live statistics (calls in flight, an exponentially
/// weighted moving average of latency). Statistics survive updates of the record as long as its address stays.
/// </summary>
public sealed class InstanceEndpoint
{
    /// <summary>Weight of a new latency sample in the moving average. 0.3: about the last five calls dominate, so a slowed instance is noticed within a handful of calls.</summary>
    public const double EwmaAlpha = 0.3;

    /// <summary>
    /// Age after which the latency average counts as unknown. An instance that lost every comparison after one slow
    /// call would otherwise never be picked again, and so never show that it recovered; once its average is this old
    /// it looks like a new instance, gets one probe call, and that call's latency replaces the stale average.
    /// 1 s: at most about one probe per second per idle instance, and a recovered instance is back within a second.
    /// </summary>
    public static readonly TimeSpan LatencyStaleAfter = TimeSpan.FromSeconds(1);

    private static readonly long StaleTicks = (long)(LatencyStaleAfter.TotalSeconds * Stopwatch.Frequency);

    private int _outstanding;
    private long _ewmaBits;
    private long _lastSampleTimestamp;

    /// <summary>Creates an endpoint for <paramref name="instance"/> served through <paramref name="channel"/> (null in balancer-only use).</summary>
    public InstanceEndpoint(ServiceInstance instance, CallInvoker? channel = null, Resilience.CircuitBreaker? breaker = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        Instance = instance;
        Channel = channel;
        Breaker = breaker;
    }

    /// <summary>The instance's circuit breaker; null when breaking is off.</summary>
    public Resilience.CircuitBreaker? Breaker { get; }

    /// <summary>The current record of the instance.</summary>
    public ServiceInstance Instance { get; internal set; }

    /// <summary>The channel calls to this instance go through.</summary>
    public CallInvoker? Channel { get; }

    /// <summary>Calls started and not yet finished.</summary>
    public int Outstanding => Math.Max(0, Volatile.Read(ref _outstanding));

    /// <summary>
    /// Value of the outstanding count once the endpoint is closed. Far below zero, so that the increments of calls
    /// racing with the close keep it negative, and a call sees at its increment that the endpoint is gone.
    /// </summary>
    private const int ClosedMark = int.MinValue / 2;

    /// <summary>
    /// Moving average of call latency in microseconds; 0 (unknown) until the first call finishes and again once no
    /// call has finished for <see cref="LatencyStaleAfter"/>.
    /// </summary>
    public double LatencyEwmaMicros =>
        Stopwatch.GetTimestamp() - Volatile.Read(ref _lastSampleTimestamp) > StaleTicks
            ? 0
            : BitConverter.Int64BitsToDouble(Interlocked.Read(ref _ewmaBits));

    /// <summary>Calls finished successfully and with an error (for tests, metrics and outlier detection).</summary>
    public long Successes => Interlocked.Read(ref _successes);

    /// <summary>Calls finished with an error.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    private long _successes;
    private long _failures;

    private int _consecutiveUnavailable;
    private long _ejectedUntil;

    /// <summary>
    /// Consecutive Unavailable failures after which the endpoint is ejected (skipped by picks) for
    /// <see cref="EjectionTime"/>. 3: a dead instance is out after three calls, a single blip ejects nothing.
    /// </summary>
    public const int EjectAfterUnavailable = 3;

    /// <summary>How long an ejected endpoint is skipped. 5 s: longer than gossip needs to declare a crashed node failed on a LAN, short enough that a restarted one is back soon.</summary>
    public static readonly TimeSpan EjectionTime = TimeSpan.FromSeconds(5);

    /// <summary>True while the endpoint is ejected for repeated Unavailable failures (passive outlier detection).</summary>
    public bool IsEjected
    {
        get
        {
            // Read on every pick: an endpoint never ejected (or cleared by the heartbeat) holds 0 and needs no clock read.
            long until = Volatile.Read(ref _ejectedUntil);
            return until != 0 && Stopwatch.GetTimestamp() < until;
        }
    }

    /// <summary>Records whether the instance was reachable; <see cref="EjectAfterUnavailable"/> unreachable calls in a row eject it.</summary>
    public void ReportReachable(bool reachable)
    {
        if (reachable)
        {
            if (Volatile.Read(ref _consecutiveUnavailable) != 0) Volatile.Write(ref _consecutiveUnavailable, 0);
            return;
        }
        if (Interlocked.Increment(ref _consecutiveUnavailable) >= EjectAfterUnavailable)
        {
            Volatile.Write(ref _ejectedUntil, Stopwatch.GetTimestamp() + (long)(EjectionTime.TotalSeconds * Stopwatch.Frequency));
            Volatile.Write(ref _consecutiveUnavailable, 0);
            Ejected?.Invoke();
        }
    }

    /// <summary>Called each time the endpoint is ejected: starts the heartbeat, which can bring it back early.</summary>
    internal Action? Ejected { get; set; }

    /// <summary>Ends an ejection early: the heartbeat found the instance serving again.</summary>
    internal void ClearEjection() => Volatile.Write(ref _ejectedUntil, 0);

    /// <summary>Marks a call as started; returns the start timestamp to pass to <see cref="OnFinished"/>.</summary>
    public long OnStarted()
    {
        Interlocked.Increment(ref _outstanding);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Marks a call as started unless the endpoint was closed; false means the call must go elsewhere (nothing was
    /// sent, so even a non-idempotent call may). The check and the count are one atomic step, which is what keeps
    /// <see cref="TryClose"/> from disposing a channel that a call picked a moment ago.
    /// </summary>
    internal bool TryStart(out long startTimestamp)
    {
        if (Interlocked.Increment(ref _outstanding) < 0)
        {
            Interlocked.Decrement(ref _outstanding);
            startTimestamp = 0;
            return false;
        }
        startTimestamp = Stopwatch.GetTimestamp();
        return true;
    }

    /// <summary>Closes the endpoint if no call is in flight: later <see cref="TryStart"/> calls fail. False while calls run.</summary>
    internal bool TryClose() => Interlocked.CompareExchange(ref _outstanding, ClosedMark, 0) == 0;

    /// <summary>Marks a call as finished and feeds its latency into the average.</summary>
    public void OnFinished(long startTimestamp, bool success) => Finish(startTimestamp, success);

    /// <summary>As <see cref="OnFinished"/>; returns the timestamp it read, for the caller's other bookkeeping of the same moment.</summary>
    internal long Finish(long startTimestamp, bool success)
    {
        Interlocked.Decrement(ref _outstanding);
        Interlocked.Increment(ref success ? ref _successes : ref _failures);
        long now = Stopwatch.GetTimestamp();
        RecordLatency(Stopwatch.GetElapsedTime(startTimestamp, now).TotalMicroseconds, now);
        return now;
    }

    /// <summary>Adds one latency sample to the moving average; a stale average is replaced instead of blended.</summary>
    public void RecordLatency(double micros) => RecordLatency(micros, Stopwatch.GetTimestamp());

    /// <summary>Adds one latency sample taken at <paramref name="now"/> (one clock read per call serves both the latency and its age).</summary>
    private void RecordLatency(double micros, long now)
    {
        bool stale = now - Volatile.Read(ref _lastSampleTimestamp) > StaleTicks;
        while (true)
        {
            long oldBits = Interlocked.Read(ref _ewmaBits);
            double old = BitConverter.Int64BitsToDouble(oldBits);
            double next = old == 0 || stale ? micros : old + EwmaAlpha * (micros - old);
            if (Interlocked.CompareExchange(ref _ewmaBits, BitConverter.DoubleToInt64Bits(next), oldBits) == oldBits) break;
        }
        Volatile.Write(ref _lastSampleTimestamp, now);
    }

    /// <summary>The instance, for logs.</summary>
    public override string ToString() => Instance.ToString();
}
