namespace Meshwork.Rpc.Internal;

/// <summary>
/// Decides when the code a read loop runs inline is slow code rather than a slow moment: a garbage collection or a
/// preempted thread makes one run slow now and then, slow code makes every run slow. <see cref="SlowRunsToQueue"/>
/// slow runs within <see cref="Window"/> runs say "slow code"; counting every slow run as slow code kept connections on
/// the queue most of the time on a busy machine.
/// </summary>
internal struct SlowRunCounter
{
    /// <summary>Slow runs within <see cref="Window"/> runs that send the connection's work to the queue.</summary>
    public const int SlowRunsToQueue = 3;

    /// <summary>Runs after which the count of slow runs starts again.</summary>
    public const int Window = 256;

    private int _slow;
    private int _runs;

    /// <summary>Counts one run; true when it is the slow run that makes the code slow (the count then starts again).</summary>
    public bool Record(bool slow)
    {
        if (++_runs == Window) _runs = _slow = 0;
        if (!slow || ++_slow < SlowRunsToQueue) return false;
        _runs = _slow = 0;
        return true;
    }
}
