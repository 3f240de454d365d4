using Meshwork.Rpc.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// Where protocol errors of peers go: every one is counted by kind, and logged without a stack trace at most once per
/// (source, kind) per interval, with the number suppressed since the previous line. The same limiter keeps other
/// per-peer warnings (rejected connections, rejected calls) from flooding the log.
/// </summary>
internal sealed class ProtocolErrorMonitor
{
    /// <summary>Categories of the limiter that are not protocol error kinds, kept clear of the enum's values.</summary>
    public const int RejectedConnectionCategory = 1000;
    public const int RejectedCallCategory = 2000; // + status code
    public const int StalledConnectionCategory = 3000;

    /// <summary>Default interval between two lines for one source and kind: long enough that a flood costs a line per
    /// 10 s, short enough that a new problem shows up in the log while someone is looking.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;

    public ProtocolErrorMonitor(ILogger logger, TimeSpan interval, ProtocolErrorCounters counters)
    {
        _logger = logger;
        Counters = counters;
        Limiter = new LogRateLimiter(interval);
    }

    public ProtocolErrorCounters Counters { get; }

    public LogRateLimiter Limiter { get; }

    /// <summary>Counts the error and logs it unless the source already had a line for this kind within the interval.</summary>
    public void Report(string source, string peer, ProtocolErrorKind kind, string reason)
    {
        Counters.Increment(kind);
        if (Limiter.ShouldLog(source, (int)kind, out long suppressed))
        {
            RpcLog.ProtocolError(_logger, kind, peer, reason, source, suppressed);
        }
    }

    /// <summary>The source part of a peer address: the IP without the port, because every new connection from the
    /// same host has a new port and keying on it would bound nothing.</summary>
    public static string SourceOf(System.Net.EndPoint? remote) => remote switch
    {
        System.Net.IPEndPoint ip => ip.Address.ToString(),
        null => "unix-peer",
        _ => remote.ToString() is { Length: > 0 } s ? s : "unix-peer",
    };
}
