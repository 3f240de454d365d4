namespace Meshwork.Gossip;

/// <summary>
/// Lifeguard dynamic suspicion timer. Starts at <c>max</c> and shrinks towards <c>min</c> (logarithmically)
/// as independent peers confirm the suspicion; with fewer than one expected confirmation it is just <c>min</c>.
/// </summary>
internal sealed class Suspicion
{
    private readonly IGossipClock _clock;
    private readonly int _k;
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly TimeSpan _start;
    private readonly HashSet<string> _confirmations;
    private readonly Action _onTimeout;
    private IDisposable? _timer;
    private int _n;

    public Suspicion(IGossipClock clock, string from, int k, TimeSpan min, TimeSpan max, Action onTimeout)
    {
        _clock = clock;
        _k = k;
        _min = min;
        _max = max;
        _start = clock.Now;
        _confirmations = [from];
        _onTimeout = onTimeout;
        var timeout = k < 1 ? min : max;
        _timer = clock.Schedule(timeout, Fire);
    }

    public int Confirmations => _n;

    /// <summary>Remaining time for <paramref name="n"/> confirmations out of <paramref name="k"/> expected.</summary>
    public static TimeSpan RemainingTimeout(int n, int k, TimeSpan elapsed, TimeSpan min, TimeSpan max)
    {
        var frac = Math.Log(n + 1.0) / Math.Log(k + 1.0);
        var raw = max.TotalMilliseconds - frac * (max.TotalMilliseconds - min.TotalMilliseconds);
        var timeout = TimeSpan.FromMilliseconds(Math.Floor(raw));
        if (timeout < min) { timeout = min; }
        return timeout - elapsed;
    }

    /// <summary>Counts a new independent accuser; returns true if it was new (and should be re-gossiped).</summary>
    public bool Confirm(string from)
    {
        if (_n >= _k || _timer is null) { return false; }
        if (!_confirmations.Add(from)) { return false; }
        _n++;
        var remaining = RemainingTimeout(_n, _k, _clock.Now - _start, _min, _max);
        _timer.Dispose();
        _timer = _clock.Schedule(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Fire);
        return true;
    }

    private void Fire()
    {
        if (_timer is null) { return; }
        _timer = null;
        _onTimeout();
    }

    public void Cancel()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>Lifeguard minimum timeout: mult × max(1, log10(n)) × interval, ms precision.</summary>
    public static TimeSpan MinTimeout(int suspicionMult, int n, TimeSpan interval)
    {
        var nodeScale = Math.Max(1.0, Math.Log10(Math.Max(1.0, n)));
        return TimeSpan.FromMilliseconds(Math.Floor(suspicionMult * nodeScale * interval.TotalMilliseconds));
    }
}
