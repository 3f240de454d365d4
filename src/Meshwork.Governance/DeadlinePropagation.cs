using Meshwork.Rpc;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance;

/// <summary>Carries a call's deadline and cancellation into the calls its handler makes (the next hop).</summary>
public static class DeadlinePropagation
{
    /// <summary>Default reserve: 20 ms, one LAN round trip plus scheduling slack for the error to travel back.</summary>
    public static readonly TimeSpan DefaultReserve = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Options for an outgoing call made while handling <paramref name="context"/>: the remaining time of the incoming
    /// call as timeout, and its cancellation token, so a hop can never outlive the caller that waits for it. When the
    /// downstream call fails, a governed invoker's error names the downstream instance, so the caller's error says
    /// which hop spent the budget. <paramref name="reserve"/> (default <see cref="DefaultReserve"/>) is kept back so
    /// that the handler can still answer with the downstream error before its own caller's deadline fires; without
    /// it, the caller times out first and only knows the first hop.
    /// </summary>
    public static CallOptions Outgoing(this ServerCallContext context, Metadata? headers = null, TimeSpan? reserve = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keep = reserve ?? DefaultReserve;
        if (keep < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(reserve), reserve, "the reserve cannot be negative");
        var remaining = context.RemainingTime - keep;
        return new CallOptions(context.CancellationToken)
        {
            // A spent budget still needs a positive timeout: the call then fails at once with DeadlineExceeded.
            Timeout = remaining is { } r ? (r > TimeSpan.Zero ? r : TimeSpan.FromTicks(1)) : null,
            Headers = headers,
        };
    }
}
