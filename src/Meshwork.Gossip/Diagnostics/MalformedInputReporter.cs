using System.Net;
using Meshwork.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// Where every dropped malformed input goes: it is counted per kind in <see cref="Counters"/> and logged without a
/// stack trace, at most one line per (source address, kind) per interval, each line carrying the number of
/// occurrences suppressed since the previous one. Layers above the member list (serf) report through the same
/// instance, available as <see cref="GossipNode.MalformedInput"/>.
/// </summary>
public sealed class MalformedInputReporter
{
    [ThreadStatic] private static IPEndPoint? t_source;

    private readonly ILogger _log;
    private readonly KeyedLogRateLimiter<(IPAddress? Source, string Kind)> _limiter;

    /// <summary>Creates a reporter logging to <paramref name="logger"/>, one line per source and kind per <paramref name="logInterval"/>.</summary>
    public MalformedInputReporter(ILogger logger, TimeSpan logInterval, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _log = logger;
        _limiter = new KeyedLogRateLimiter<(IPAddress?, string)>(GossipLogInterval.Checked(logInterval), MaxTrackedSources, timeProvider);
    }

    /// <summary>
    /// (source, kind) pairs tracked individually by the log rate limiter (1024): enough for every peer of a large
    /// cluster, small enough that spoofed sources cannot grow memory; beyond it sources share one log line.
    /// </summary>
    public const int MaxTrackedSources = 1024;

    /// <summary>Counts per kind, including occurrences whose log line was suppressed.</summary>
    public MalformedInputCounters Counters { get; } = new();

    /// <summary>Minimum time between two log lines for the same source and kind.</summary>
    public TimeSpan LogInterval => _limiter.Interval;

    /// <summary>
    /// The peer whose input is being processed on this thread (set by the member list around packet and stream
    /// handling), so that layers above can report without knowing the address.
    /// </summary>
    public static IPEndPoint? CurrentSource => t_source;

    /// <summary>Sets <see cref="CurrentSource"/> until the returned scope is disposed.</summary>
    public static SourceScope BeginSource(IPEndPoint? source)
    {
        var previous = t_source;
        t_source = source;
        return new SourceScope(previous);
    }

    /// <summary>Counts and (rate-limited) logs one malformed input from <see cref="CurrentSource"/>.</summary>
    public void Report(MalformedInput input) => Report(t_source, input);

    /// <summary>Counts and (rate-limited) logs one malformed input from <paramref name="source"/>.</summary>
    public void Report(IPEndPoint? source, MalformedInput input)
    {
        Counters.Increment(input.Kind);
        if (!_log.IsEnabled(LogLevel.Warning)) { return; }
        if (!_limiter.TryAcquire((source?.Address, input.Kind), out var suppressed, out var overflow)) { return; }
        var from = overflow ? "(other sources)" : source?.ToString() ?? "(unknown)";
        GossipLog.MalformedInput(_log, input.Kind, from, input.Detail, suppressed, _limiter.Interval);
    }

    /// <summary>Restores the previous <see cref="CurrentSource"/> when disposed.</summary>
    public readonly struct SourceScope(IPEndPoint? previous) : IDisposable
    {
        /// <summary>Restores the previous source.</summary>
        public void Dispose() => t_source = previous;
    }
}
