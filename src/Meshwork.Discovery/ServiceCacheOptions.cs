namespace Meshwork.Discovery;

/// <summary>Settings of <see cref="CachedServiceRegistry"/>.</summary>
public sealed class ServiceCacheOptions
{
    /// <summary>
    /// File the last known instance sets are persisted to, so that a process restarting while the registry is down
    /// still finds its services. Default null: memory only.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// Full re-read of a watched service besides the watch, to repair missed or coalesced notifications.
    /// Default 30 s: cheap for any registry, and short enough that a lost notification heals within a minute.
    /// </summary>
    public TimeSpan PullInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// First delay before reconnecting a lost watch; doubles per failure up to <see cref="ReconnectMax"/>, each wait being
    /// 80–100 % of it at random. Default 200 ms.
    /// </summary>
    public TimeSpan ReconnectInitial { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Ceiling of the reconnect delay. Default 10 s, so that a recovered registry is used again soon.</summary>
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (PullInterval <= TimeSpan.Zero) throw new ArgumentException("ServiceCacheOptions.PullInterval must be positive");
        if (ReconnectInitial <= TimeSpan.Zero) throw new ArgumentException("ServiceCacheOptions.ReconnectInitial must be positive");
        if (ReconnectMax < ReconnectInitial) throw new ArgumentException("ServiceCacheOptions.ReconnectMax must be at least ReconnectInitial");
    }
}
