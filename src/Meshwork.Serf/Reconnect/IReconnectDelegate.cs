namespace Meshwork.Serf;

/// <summary>
/// Decides whether and when a <see cref="SerfNode"/> tries to reach failed members again (serf's reconnect loop: a
/// push/pull join to the member's last address, which brings it back if it is up again or was cut off). The node
/// runs rounds: it waits <see cref="NextRoundDelay"/>, asks <see cref="SelectTargets"/> which failed members to try,
/// tries them one after the other (at most <see cref="ReconnectLimits.MaxAttemptsPerRound"/>), and reports each
/// outcome to <see cref="NotifyAttempt"/>. The default is <see cref="SerfReconnectDelegate"/> (serf 0.9.4's rule).
/// </summary>
/// <remarks>
/// <see cref="SelectTargets"/> runs under the node's state lock: keep it quick and do not call back into the node.
/// <see cref="NextRoundDelay"/> and <see cref="NotifyAttempt"/> run on the reconnect loop's task, never concurrently
/// with each other. An exception from any hook is logged and that round is skipped; the loop keeps running.
/// </remarks>
public interface IReconnectDelegate
{
    /// <summary>How long to wait before the next round (also before the first). Must be positive.</summary>
    TimeSpan NextRoundDelay();

    /// <summary>The failed members to try now, in order (empty: none this round). Only members of <see cref="ReconnectRound.Failed"/> are tried.</summary>
    IReadOnlyList<ReconnectCandidate> SelectTargets(ReconnectRound round);

    /// <summary>One attempt finished: <paramref name="error"/> is null when the push/pull with the member succeeded.</summary>
    void NotifyAttempt(ReconnectCandidate target, Exception? error);
}

/// <summary>A failed member the reconnect loop may try.</summary>
/// <param name="Member">The member as known now (status failed).</param>
/// <param name="FailedFor">Time since it was marked failed.</param>
/// <param name="Attempts">Reconnect attempts made since it failed.</param>
/// <param name="SinceLastAttempt">Time since the last attempt, or null if none was made yet.</param>
public sealed record ReconnectCandidate(Member Member, TimeSpan FailedFor, int Attempts, TimeSpan? SinceLastAttempt);

/// <summary>What a reconnect round starts from.</summary>
/// <param name="Failed">Every failed member, with its attempt history.</param>
/// <param name="Members">All members known, this node included (alive, leaving, left and failed).</param>
/// <param name="LeftMembers">Members that left (or were forced to).</param>
/// <param name="Random">The node's random source, for randomised policies.</param>
public sealed record ReconnectRound(IReadOnlyList<ReconnectCandidate> Failed, int Members, int LeftMembers, Random Random);

/// <summary>Fixed limits of the reconnect loop.</summary>
public static class ReconnectLimits
{
    /// <summary>
    /// Attempts made in one round at most (16); further targets are ignored. Each attempt may take up to the member
    /// list's TCP timeout, so this bounds how long one round can run.
    /// </summary>
    public const int MaxAttemptsPerRound = 16;
}
