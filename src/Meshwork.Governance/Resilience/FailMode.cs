namespace Meshwork.Governance.Resilience;

/// <summary>What a client does when a call fails (the rpcx/Dubbo fail modes).</summary>
public enum FailMode
{
    /// <summary>Report the first failure at once.</summary>
    FailFast = 0,

    /// <summary>Retry on another instance (the default): a failed instance is usually failing for everyone.</summary>
    FailOver = 1,

    /// <summary>Retry on the same instance: for transient errors where the instance holds state (sessions, caches).</summary>
    FailRetry = 2,

    /// <summary>Hedging: if no answer arrives within the hedge delay, send a second request to another instance; the first answer wins and the other is cancelled.</summary>
    FailBackup = 3,

    /// <summary>Swallow the failure and return a fallback value (default: the type's default value).</summary>
    FailSafe = 4,
}
