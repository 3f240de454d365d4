using System.Runtime.InteropServices;

namespace Meshwork.Bench;

/// <summary>
/// Load-independent costs of a process, read at the start and the end of a measured window: CPU time (user + system),
/// thread-pool work items completed, and context switches (voluntary: a thread blocked or went idle; involuntary: it
/// was preempted). Divided by the calls of the window they give CPU µs, work items and wake-ups per call, which hold
/// on a loaded machine better than requests per second do. From getrusage(RUSAGE_SELF), which counts every thread of
/// the process including the ones that exited.
/// </summary>
internal readonly record struct ProcessCounters(double CpuMicros, long WorkItems, long VoluntarySwitches, long InvoluntarySwitches)
{
    public static ProcessCounters Read()
    {
        long workItems = ThreadPool.CompletedWorkItemCount;
        if (!OperatingSystem.IsLinux()) return new(Environment.CpuUsage.TotalTime.TotalMicroseconds, workItems, 0, 0);
        var usage = new RUsage();
        if (GetRUsage(0, ref usage) != 0) return new(Environment.CpuUsage.TotalTime.TotalMicroseconds, workItems, 0, 0);
        double cpu = usage.UserSeconds * 1e6 + usage.UserMicros + usage.SystemSeconds * 1e6 + usage.SystemMicros;
        return new(cpu, workItems, usage.VoluntarySwitches, usage.InvoluntarySwitches);
    }

    public static ProcessCounters operator -(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuMicros - b.CpuMicros, a.WorkItems - b.WorkItems, a.VoluntarySwitches - b.VoluntarySwitches, a.InvoluntarySwitches - b.InvoluntarySwitches);

    public static ProcessCounters operator +(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuMicros + b.CpuMicros, a.WorkItems + b.WorkItems, a.VoluntarySwitches + b.VoluntarySwitches, a.InvoluntarySwitches + b.InvoluntarySwitches);

    /// <summary>The STATS fields after the allocation counters.</summary>
    public string ToStatsFields() => $"{CpuMicros:F0} {WorkItems} {VoluntarySwitches} {InvoluntarySwitches}";

    public static ProcessCounters FromStatsFields(string[] fields, int start) => fields.Length < start + 4
        ? default
        : new(double.Parse(fields[start], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[start + 1]), long.Parse(fields[start + 2]), long.Parse(fields[start + 3]));

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRUsage(int who, ref RUsage usage);

    // struct rusage on 64-bit Linux: two timevals, then 14 longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicros, SystemSeconds, SystemMicros;
        public long MaxRss, SharedText, UnsharedData, UnsharedStack, MinorFaults, MajorFaults, Swaps, BlockIn, BlockOut,
            MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }
}
