namespace Meshwork.Serf;

/// <summary>
/// serf 0.9.4's reconnect rule, the default: every <see cref="Interval"/>, with probability
/// failed / (members − failed − left) (1 when that is 0 or less), try one failed member picked at random. Across a
/// cluster this makes each failed member be tried about once per interval in total, however large the cluster.
/// Failed members are tried until serf's reaper erases them after <see cref="SerfOptions.ReconnectTimeout"/>.
/// </summary>
public sealed class SerfReconnectDelegate : IReconnectDelegate
{
    /// <summary>Creates the rule with serf's reconnect interval (<see cref="SerfOptions.ReconnectInterval"/>, default 30 s).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not positive.</exception>
    public SerfReconnectDelegate(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Interval = interval;
    }

    /// <summary>Time between rounds.</summary>
    public TimeSpan Interval { get; }

    /// <inheritdoc/>
    public TimeSpan NextRoundDelay() => Interval;

    /// <inheritdoc/>
    public IReadOnlyList<ReconnectCandidate> SelectTargets(ReconnectRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (round.Failed.Count == 0) { return []; }
        var others = round.Members - round.Failed.Count - round.LeftMembers;
        var probability = (double)round.Failed.Count / Math.Max(1, others);
        if (round.Random.NextDouble() > probability) { return []; }
        return [round.Failed[round.Random.Next(round.Failed.Count)]];
    }

    /// <inheritdoc/>
    public void NotifyAttempt(ReconnectCandidate target, Exception? error) { }
}
