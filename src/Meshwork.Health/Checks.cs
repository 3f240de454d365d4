using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.Health;

/// <summary>Unhealthy while the process is draining (see <see cref="Readiness"/>).</summary>
internal sealed class ReadinessHealthCheck(Readiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.Reason is { } reason ? HealthCheckResult.Unhealthy(reason) : HealthCheckResult.Healthy("accepting work"));
}

/// <summary>Always healthy: answering at all is what liveness asks. Dependencies belong in readiness, or a slow database would restart every pod.</summary>
internal sealed class LivenessHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("process is running"));
}

/// <summary>Free space of the file system holding <see cref="MeshworkHealthOptions.DiskPath"/>.</summary>
internal sealed class DiskHealthCheck(MeshworkHealthOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        DriveInfo drive;
        try
        {
            drive = new DriveInfo(Path.GetFullPath(options.DiskPath));
            _ = drive.TotalSize; // throws for a path on no mounted file system
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"cannot read the file system of '{options.DiskPath}': {e.Message}"));
        }
        long free = drive.AvailableFreeSpace;
        long total = drive.TotalSize;
        double ratio = total > 0 ? (double)free / total : 0;
        var data = new Dictionary<string, object> { ["path"] = drive.RootDirectory.FullName, ["freeBytes"] = free, ["totalBytes"] = total, ["freeRatio"] = Math.Round(ratio, 4) };
        string text = $"{free / (1024 * 1024)} MiB free of {total / (1024 * 1024)} MiB ({ratio:P0}) on {drive.RootDirectory.FullName}";
        var result = free < options.DiskMinFreeBytes
            ? HealthCheckResult.Unhealthy($"{text}, below the minimum of {options.DiskMinFreeBytes / (1024 * 1024)} MiB", data: data)
            : ratio < options.DiskDegradedFreeRatio
                ? HealthCheckResult.Degraded($"{text}, below {options.DiskDegradedFreeRatio:P0}", data: data)
                : HealthCheckResult.Healthy(text, data);
        return Task.FromResult(result);
    }
}

/// <summary>Working set against the memory available to the process (the container limit when there is one).</summary>
internal sealed class MemoryHealthCheck(MeshworkHealthOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long used = Environment.WorkingSet;
        double ratio = available > 0 ? (double)used / available : 0;
        var data = new Dictionary<string, object>
        {
            ["workingSetBytes"] = used,
            ["availableBytes"] = available,
            ["usedRatio"] = Math.Round(ratio, 4),
            ["gcHeapBytes"] = GC.GetTotalMemory(false),
        };
        string text = $"working set {used / (1024 * 1024)} MiB of {available / (1024 * 1024)} MiB available ({ratio:P0})";
        var result = ratio >= options.MemoryUnhealthyRatio
            ? HealthCheckResult.Unhealthy($"{text}, at or above {options.MemoryUnhealthyRatio:P0}", data: data)
            : ratio >= options.MemoryDegradedRatio
                ? HealthCheckResult.Degraded($"{text}, at or above {options.MemoryDegradedRatio:P0}", data: data)
                : HealthCheckResult.Healthy(text, data);
        return Task.FromResult(result);
    }
}

/// <summary>Process CPU use as a share of all cores, since the previous check or over a short sample window.</summary>
internal sealed class CpuHealthCheck(MeshworkHealthOptions options) : IHealthCheck
{
    private readonly Lock _gate = new();
    private (long Timestamp, TimeSpan Cpu)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = Sample();
        (long Timestamp, TimeSpan Cpu) previous;
        lock (_gate) previous = _last ?? default;
        // A sample older than ten windows says little about now: measure afresh.
        if (previous.Timestamp == 0 || Stopwatch.GetElapsedTime(previous.Timestamp, now.Timestamp) > options.CpuSampleWindow * 10)
        {
            previous = now;
            await Task.Delay(options.CpuSampleWindow, cancellationToken).ConfigureAwait(false);
            now = Sample();
        }
        lock (_gate) _last = now;
        double wall = Stopwatch.GetElapsedTime(previous.Timestamp, now.Timestamp).TotalSeconds;
        double ratio = wall > 0 ? (now.Cpu - previous.Cpu).TotalSeconds / wall / Environment.ProcessorCount : 0;
        ratio = Math.Clamp(ratio, 0, 1);
        var data = new Dictionary<string, object> { ["usedRatio"] = Math.Round(ratio, 4), ["cores"] = Environment.ProcessorCount, ["windowSeconds"] = Math.Round(wall, 3) };
        string text = $"process CPU {ratio:P0} of {Environment.ProcessorCount} cores over {wall * 1000:0} ms";
        return ratio >= options.CpuDegradedRatio
            ? HealthCheckResult.Degraded($"{text}, at or above {options.CpuDegradedRatio:P0}", data: data)
            : HealthCheckResult.Healthy(text, data);
    }

    private static (long Timestamp, TimeSpan Cpu) Sample()
    {
        using var process = Process.GetCurrentProcess();
        return (Stopwatch.GetTimestamp(), process.TotalProcessorTime);
    }
}
