using Meshwork.Internal;

namespace Meshwork.Serf;

/// <summary>
/// A per-member policy: every failed member is tried on its own schedule, first <see cref="FirstDelay"/> after it
/// failed, then after delays doubling up to <see cref="MaxDelay"/>, each jittered to a uniform 50–100 % (drawn once per
/// attempt) so that the nodes of a cluster do not all dial a recovering member at once; after <see cref="MaxAttempts"/> failed attempts it
/// is left alone (until it comes back by itself or is reaped). Rounds run every <see cref="RoundInterval"/>. Suited
/// to small clusters that want a quick return of restarted members; large clusters should keep serf's rule, whose
/// total load does not grow with the cluster. Thread-safe; it remembers one drawn wait per failed member.
/// </summary>
public sealed class BackoffReconnectDelegate : IReconnectDelegate
{
    private readonly JitteredBackoff _schedule;
    private readonly Lock _gate = new();
    // The wait drawn for each failed member's current attempt. Drawn once per attempt, not once per round: with a fresh
    // draw every round a member is due at the first low draw, which pulls nearly every wait down towards 50 %.
    private readonly Dictionary<string, (int Attempts, TimeSpan Wait)> _waits = new(StringComparer.Ordinal);

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
        lock (_gate)
        {
            int eligible = 0;
            foreach (var c in round.Failed)
            {
                if (c.Attempts >= MaxAttempts) { continue; }
                eligible++;
                if (!_waits.TryGetValue(c.Member.Name, out var drawn) || drawn.Attempts != c.Attempts)
                {
                    drawn = (c.Attempts, _schedule.Jittered(_schedule.NominalAfter(c.Attempts), round.Random));
                    _waits[c.Member.Name] = drawn;
                }
                var waited = c.SinceLastAttempt ?? c.FailedFor;
                if (waited >= drawn.Wait) { (due ??= []).Add(c); }
            }
            // More entries than members still tried: some are back, reaped or given up on; forget them.
            if (_waits.Count > eligible) { ForgetAllBut(round.Failed); }
        }
        return due ?? (IReadOnlyList<ReconnectCandidate>)[];
    }

    private void ForgetAllBut(IReadOnlyList<ReconnectCandidate> failed)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in failed)
        {
            if (c.Attempts < MaxAttempts) { tried.Add(c.Member.Name); }
        }
        foreach (var name in _waits.Keys.Where(n => !tried.Contains(n)).ToList()) { _waits.Remove(name); }
    }

    /// <inheritdoc/>
    public void NotifyAttempt(ReconnectCandidate target, Exception? error) { }
}
