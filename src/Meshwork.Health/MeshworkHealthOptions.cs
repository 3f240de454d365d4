namespace Meshwork.Health;

/// <summary>Thresholds of the disk, CPU and memory checks. <see cref="Validate"/> runs when the checks are added.</summary>
public sealed class MeshworkHealthOptions
{
    /// <summary>Directory whose file system is checked for free space. Default the current directory: where a service writes its logs and snapshots.</summary>
    public string DiskPath { get; set; } = ".";

    /// <summary>Free bytes below which the disk check is unhealthy (and readiness false). Default 256 MiB: room to write logs, snapshots and a crash dump's start.</summary>
    public long DiskMinFreeBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Share of the disk free below which the disk check is degraded (a warning, still ready). Default 0.1: the usual "disk 90 % full" alert.</summary>
    public double DiskDegradedFreeRatio { get; set; } = 0.1;

    /// <summary>
    /// Share of the memory available to the process (the container limit when there is one, as the GC sees it) that its
    /// working set may use before the memory check is unhealthy. Default 0.9: past it the next burst risks the OOM killer.
    /// </summary>
    public double MemoryUnhealthyRatio { get; set; } = 0.9;

    /// <summary>Share of available memory above which the memory check is degraded. Default 0.8: time to look before it is 0.9.</summary>
    public double MemoryDegradedRatio { get; set; } = 0.8;

    /// <summary>
    /// Share of all cores the process may use, averaged over <see cref="CpuSampleWindow"/>, before the CPU check is
    /// degraded. Default 0.9. High CPU never makes the process unhealthy: restarting a busy process loses its work.
    /// </summary>
    public double CpuDegradedRatio { get; set; } = 0.9;

    /// <summary>Window over which CPU use is measured when no recent sample exists. Default 250 ms: long enough to average out a GC, short enough for a probe's timeout.</summary>
    public TimeSpan CpuSampleWindow { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string t = nameof(MeshworkHealthOptions);
        if (string.IsNullOrWhiteSpace(DiskPath)) throw new ArgumentException($"{t}.DiskPath must not be empty");
        if (DiskMinFreeBytes < 0) throw new ArgumentException($"{t}.DiskMinFreeBytes cannot be negative (was {DiskMinFreeBytes})");
        Ratio(DiskDegradedFreeRatio, nameof(DiskDegradedFreeRatio));
        Ratio(MemoryUnhealthyRatio, nameof(MemoryUnhealthyRatio));
        Ratio(MemoryDegradedRatio, nameof(MemoryDegradedRatio));
        Ratio(CpuDegradedRatio, nameof(CpuDegradedRatio));
        if (MemoryDegradedRatio > MemoryUnhealthyRatio) throw new ArgumentException($"{t}.MemoryDegradedRatio ({MemoryDegradedRatio}) must not exceed MemoryUnhealthyRatio ({MemoryUnhealthyRatio})");
        if (CpuSampleWindow < TimeSpan.FromMilliseconds(10) || CpuSampleWindow > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"{t}.CpuSampleWindow must be between 10 ms and 10 s (was {CpuSampleWindow})");
        }

        static void Ratio(double value, string name)
        {
            if (value is < 0 or > 1 || double.IsNaN(value)) throw new ArgumentException($"{t}.{name} must be between 0 and 1 (was {value})");
        }
    }
}
