using Meshwork.Gossip.Diagnostics;
using Meshwork.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Gossip.Composite;

/// <summary>
/// Failures of the delegates inside a composite: every exception a member throws is caught, counted per member and
/// logged without a stack trace, at most one line per (member, hook) per <see cref="LogInterval"/>, each line saying
/// how many were suppressed since the previous one. Thread-safe.
/// </summary>
public sealed class DelegateFailures
{
    /// <summary>Default minimum time between two log lines for the same member and hook (10 s, as for malformed input).</summary>
    public static readonly TimeSpan DefaultLogInterval = TimeSpan.FromSeconds(10);

    private readonly long[] _counts;
    private readonly string[] _names;
    private readonly ILogger _log;
    private readonly KeyedLogRateLimiter<(int Member, string Hook)> _limiter;

    internal DelegateFailures(IReadOnlyList<object> members, ILogger? logger, TimeSpan? logInterval)
    {
        _counts = new long[members.Count];
        _names = members.Select(m => m.GetType().Name).ToArray();
        _log = logger ?? NullLogger.Instance;
        _limiter = new KeyedLogRateLimiter<(int, string)>(GossipLogInterval.Checked(logInterval ?? DefaultLogInterval), maxKeys: 256);
    }

    /// <summary>Minimum time between two log lines for the same member and hook.</summary>
    public TimeSpan LogInterval => _limiter.Interval;

    /// <summary>Exceptions thrown by the member at <paramref name="index"/> (its position in the composite).</summary>
    public long this[int index] => Interlocked.Read(ref _counts[index]);

    /// <summary>Exceptions thrown by all members together.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++) { total += Interlocked.Read(ref _counts[i]); }
            return total;
        }
    }

    internal void Record(int index, string hook, Exception error)
    {
        Interlocked.Increment(ref _counts[index]);
        if (!_log.IsEnabled(LogLevel.Warning)) { return; }
        if (!_limiter.TryAcquire((index, hook), out var suppressed, out _)) { return; }
        DelegateLog.DelegateFailed(_log, index, _names[index], hook, error.GetType().Name, error.Message, suppressed);
    }

    /// <summary>Runs <paramref name="action"/> for every member in order; a throwing member is recorded and the next one still runs.</summary>
    internal void ForEach<T>(IReadOnlyList<T> members, string hook, Action<T> action)
    {
        for (var i = 0; i < members.Count; i++)
        {
            try { action(members[i]); }
            catch (Exception e) when (e is not OutOfMemoryException) { Record(i, hook, e); }
        }
    }
}
