// The one reconnect/retry backoff of Meshwork, compiled as a linked source file (<Compile Include="..\Shared\
// JitteredBackoff.cs" Link=... />) into Meshwork.Rpc, Meshwork.Hosting, Meshwork.Discovery, Meshwork.Discovery.ZooKeeper,
// Meshwork.Discovery.ServiceDiscovery, Meshwork.Governance and Meshwork.Serf, for the same reasons as
// KeyedLogRateLimiter.cs (no assembly they all reference can host it, and a shared assembly would make it public API).
// Meshwork.Tars does not link it: it sees Meshwork.Rpc's copy through InternalsVisibleTo, and linking it too would
// give Tars two Meshwork.Internal.JitteredBackoff types (CS0436). The same constraint holds: no assembly that links
// this file may see the internals of another that does. Meshwork.Governance.Tests sees those of Meshwork.Discovery
// and Meshwork.Governance, so it cannot name this type (CS0433); its tests live in Meshwork.Rpc.Tests.

namespace Meshwork.Internal;

/// <summary>
/// Delays between the retries of something that keeps failing (a connect, a watch, a registry write): the nominal delay
/// starts at <see cref="Initial"/> and is multiplied by <see cref="Multiplier"/> after every retry, up to
/// <see cref="Max"/>; <see cref="Reset"/> returns to <see cref="Initial"/> once the thing works again.
/// </summary>
/// <remarks>
/// <para>
/// Jitter: each delay handed out is the nominal delay shortened by a random part of up to <see cref="Jitter"/> of it,
/// drawn uniformly: a wait in [(1 − <see cref="Jitter"/>) × nominal, nominal). Why: many clients that lost the same
/// server (or registry) at the same moment would otherwise all retry at the same instants, hitting it in bursts just
/// when it comes back; spreading each retry over a range breaks that lockstep, and the spread grows with the delay.
/// </para>
/// <para>
/// Bounds: jitter only shortens, so no wait exceeds <see cref="Max"/> (a documented ceiling stays a ceiling) and no
/// wait is shorter than (1 − <see cref="Jitter"/>) × <see cref="Initial"/> (with a jitter below 1, retries never
/// spin). A jitter of 0 gives the nominal delays exactly.
/// </para>
/// <para>Not thread-safe: one instance per retry loop, or used under the caller's lock.</para>
/// </remarks>
internal sealed class JitteredBackoff
{
    private readonly Random _random;
    private TimeSpan _nominal;

    /// <summary>Creates a backoff whose first delay is drawn from <paramref name="initial"/>.</summary>
    /// <param name="initial">Nominal first delay; positive.</param>
    /// <param name="max">Largest nominal delay, and so the longest wait; at least <paramref name="initial"/>.</param>
    /// <param name="multiplier">Growth of the nominal delay per retry; at least 1 (1: a constant delay) and finite.</param>
    /// <param name="jitter">Fraction of the nominal delay that may be taken off at random; from 0 to 1.</param>
    /// <param name="random">Source of the jitter; <see cref="Random.Shared"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside the range given above.</exception>
    public JitteredBackoff(TimeSpan initial, TimeSpan max, double multiplier = 2, double jitter = 0.5, Random? random = null)
    {
        if (initial <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "the initial backoff delay must be positive");
        if (max < initial)
            throw new ArgumentOutOfRangeException(nameof(max), max, $"the maximum backoff delay must be at least the initial delay ({initial})");
        if (!(multiplier >= 1) || double.IsPositiveInfinity(multiplier))
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "the backoff multiplier must be a finite number of at least 1");
        if (!(jitter >= 0 && jitter <= 1))
            throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "the backoff jitter must be a fraction from 0 to 1");
        Initial = initial;
        Max = max;
        Multiplier = multiplier;
        Jitter = jitter;
        _random = random ?? Random.Shared;
        _nominal = initial;
    }

    /// <summary>Nominal first delay (before jitter).</summary>
    public TimeSpan Initial { get; }

    /// <summary>Largest nominal delay: the longest wait <see cref="Next"/> returns.</summary>
    public TimeSpan Max { get; }

    /// <summary>Factor applied to the nominal delay after each <see cref="Next"/>.</summary>
    public double Multiplier { get; }

    /// <summary>Fraction of the nominal delay that may be taken off at random (0: none, 0.5: waits of 50–100 %).</summary>
    public double Jitter { get; }

    /// <summary>The nominal delay the next <see cref="Next"/> is drawn from.</summary>
    public TimeSpan Nominal => _nominal;

    /// <summary>The wait before the next retry (the current nominal delay, jittered); then grows the nominal delay.</summary>
    public TimeSpan Next()
    {
        var wait = Jittered(_nominal, _random);
        _nominal = Grow(_nominal);
        return wait;
    }

    /// <summary>Back to <see cref="Initial"/>: call when the retried operation succeeded.</summary>
    public void Reset() => _nominal = Initial;

    /// <summary>
    /// The nominal delay after <paramref name="retries"/> calls of <see cref="Next"/> since the last reset, without
    /// changing this instance: for callers that keep the retry count elsewhere.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="retries"/> is negative.</exception>
    public TimeSpan NominalAfter(int retries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        // Computed in double: a large count overflows to infinity, which the ceiling turns into Max.
        double ticks = Initial.Ticks * Math.Pow(Multiplier, retries);
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary><paramref name="nominal"/> shortened by a random part of up to <see cref="Jitter"/> of it, drawn from <paramref name="random"/>.</summary>
    public TimeSpan Jittered(TimeSpan nominal, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return nominal * (1 - Jitter + Jitter * random.NextDouble());
    }

    private TimeSpan Grow(TimeSpan nominal)
    {
        double ticks = nominal.Ticks * Multiplier;
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}
