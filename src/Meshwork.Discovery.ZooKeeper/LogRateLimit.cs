using System.Diagnostics;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>
/// Lets one log line through per interval and counts the ones it holds back, so a flapping or unreachable server
/// yields a steady trickle of warnings (with the number suppressed) instead of one per attempt.
/// </summary>
internal sealed class LogRateLimit(TimeSpan interval)
{
    private readonly Lock _gate = new();
    private long _last;
    private long _suppressed;

    /// <summary>True when a line may be logged now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool Allow(out long suppressed)
    {
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            if (_last != 0 && Stopwatch.GetElapsedTime(_last, now) < interval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _last = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
