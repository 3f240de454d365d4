using Meshwork.Internal;

namespace Meshwork.Serf;

/// <summary>
/// A per-member policy: every failed member is tried on its own schedule, first <see cref="FirstDelay"/> after it
/// failed, then after delays doubling up to <see cref="MaxDelay"/>, each jittered to a uniform 50–100 % so that the
/// nodes of a cluster do not all dial a recovering member at once; after <see cref="MaxAttempts"/> failed attempts it
/// is left alone (until it comes back by itself or is reaped). Rounds run every <see cref="RoundInterval"/>. Suited
/// to small clusters that want a quick return of restarted members; large clusters should keep serf's rule, whose
/// total load does not grow with the cluster.
/// </summary>
public sealed class BackoffReconnectDelegate : IReconnectDelegate
{
    private readonly JitteredBackoff _schedule;

    /// <summary>Creates the policy.</summary>
    /// <param name="firstDelay">Wait after the failure before the first attempt; positive.</param>
    /// <param name="maxDelay">Longest wait between two attempts; at least <paramref name="firstDelay"/>.</param>
    /// <param name="maxAttempts">Attempts per failed member; positive.</param>
    /// <param name="roundInterval">How often due members are looked for; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public BackoffReconnectDelegate(TimeSpan firstDelay, TimeSpan maxDelay, int maxAttempts, TimeSpan roundInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, firstDelay);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAttempts, 0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(roundInterval, TimeSpan.Zero);
        FirstDelay = firstDelay;
        MaxDelay = maxDelay;
        MaxAttempts = maxAttempts;
        RoundInterval = roundInterval;
        // Only its schedule is used (the attempt count comes with each candidate): waits of 50–100 % of the nominal delay.
        _schedule = new JitteredBackoff(firstDelay, maxDelay, multiplier: 2, jitter: 0.5);
    }

    /// <summary>Wait after the failure before the first attempt.</summary>
    public TimeSpan FirstDelay { get; }

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>Attempts per failed member.</summary>
    public int MaxAttempts { get; }

    /// <summary>Time between rounds.</summary>
    public TimeSpan RoundInterval { get; }

    /// <inheritdoc/>
    public TimeSpan NextRoundDelay() => RoundInterval;

    /// <inheritdoc/>
    public IReadOnlyList<ReconnectCandidate> SelectTargets(ReconnectRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        List<ReconnectCandidate>? due = null;
        foreach (var c in round.Failed)
        {
            if (c.Attempts >= MaxAttempts) { continue; }
            var waited = c.SinceLastAttempt ?? c.FailedFor;
            var jittered = _schedule.Jittered(_schedule.NominalAfter(c.Attempts), round.Random);
            if (waited >= jittered) { (due ??= []).Add(c); }
        }
        return due ?? (IReadOnlyList<ReconnectCandidate>)[];
    }

    /// <inheritdoc/>
    public void NotifyAttempt(ReconnectCandidate target, Exception? error) { }
}
