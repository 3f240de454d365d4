namespace Meshwork.Gossip;

/// <summary>
/// Time and timers for the member list state machine. Real nodes use wall-clock timers that take the
/// member list lock; the simulator uses virtual time. Callbacks always run with the state lock held.
/// </summary>
public interface IGossipClock
{
    /// <summary>Monotonic time since an arbitrary origin.</summary>
    TimeSpan Now { get; }

    /// <summary>Runs <paramref name="callback"/> once after <paramref name="delay"/>; dispose to cancel.</summary>
    IDisposable Schedule(TimeSpan delay, Action callback);
}
