namespace Meshwork.Health;

/// <summary>Tags of Meshwork's health checks; each endpoint runs the checks carrying its tag.</summary>
public static class HealthTags
{
    /// <summary>Checks that say the process runs (liveness: failing means restart).</summary>
    public const string Live = "live";

    /// <summary>Checks that say the process should get work (readiness: failing means route elsewhere).</summary>
    public const string Ready = "ready";

    /// <summary>The disk check.</summary>
    public const string Disk = "disk";

    /// <summary>The CPU check.</summary>
    public const string Cpu = "cpu";

    /// <summary>The memory check.</summary>
    public const string Memory = "ram";
}
