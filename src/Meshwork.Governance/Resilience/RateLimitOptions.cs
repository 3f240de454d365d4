using System.Threading.RateLimiting;

namespace Meshwork.Governance.Resilience;

/// <summary>A token-bucket rate limit (System.Threading.RateLimiting): calls over it fail at once with ResourceExhausted, never queue.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained calls per second. Required; no default, because only the service owner knows its capacity.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary>Calls allowed in a burst above the sustained rate. Default 0: one second's worth of permits.</summary>
    public int Burst { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting, prefixed by <paramref name="where"/>.</summary>
    public void Validate(string where)
    {
        if (PermitsPerSecond <= 0 || double.IsNaN(PermitsPerSecond) || PermitsPerSecond > 10_000_000) throw new ArgumentException($"{where}.PermitsPerSecond must be positive and at most 10000000");
        if (Burst < 0) throw new ArgumentException($"{where}.Burst cannot be negative");
    }

    /// <summary>A copy.</summary>
    public RateLimitOptions Clone() => (RateLimitOptions)MemberwiseClone();

    /// <summary>Builds the limiter: a bucket of <c>Burst</c> (or one second of permits), refilled every 100 ms.</summary>
    public RateLimiter Create()
    {
        int capacity = Burst > 0 ? Burst : Math.Max(1, (int)Math.Ceiling(PermitsPerSecond));
        int perTick = Math.Max(1, (int)Math.Round(PermitsPerSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = capacity,
            TokensPerPeriod = perTick,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perTick / PermitsPerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary><c>N/s, burst B</c>.</summary>
    public override string ToString() => $"{PermitsPerSecond}/s, burst {(Burst > 0 ? Burst : Math.Max(1, (int)Math.Ceiling(PermitsPerSecond)))}";
}
