using System.Runtime.InteropServices;

namespace Meshwork.Bench;

/// <summary>
/// Load-independent costs of a process, read at the start and the end of a measured window: CPU time (user + system),
/// thread-pool work items completed, context switches (voluntary: a thread blocked or went idle; involuntary: it
/// was preempted), and the garbage collector's collections and the time they paused the process (what the tail
/// latency of a process that allocates is made of). Divided by the calls of the window they give CPU µs, work items
/// and wake-ups per call, which hold on a loaded machine better than requests per second do. From getrusage(RUSAGE_SELF), which counts every thread of
/// the process including the ones that exited.
/// </summary>
internal readonly record struct ProcessCounters(double CpuMicros, long WorkItems, long VoluntarySwitches, long InvoluntarySwitches,
    double GcPauseMicros = 0, long Collections = 0)
{
    public static ProcessCounters Read()
    {
        long workItems = ThreadPool.CompletedWorkItemCount;
        double pause = GC.GetTotalPauseDuration().TotalMicroseconds;
        long collections = GC.CollectionCount(0); // every collection counts as one of generation 0
        var usage = new RUsage();
        if (!OperatingSystem.IsLinux() || GetRUsage(0, ref usage) != 0)
        {
            return new(Environment.CpuUsage.TotalTime.TotalMicroseconds, workItems, 0, 0, pause, collections);
        }
        double cpu = usage.UserSeconds * 1e6 + usage.UserMicros + usage.SystemSeconds * 1e6 + usage.SystemMicros;
        return new(cpu, workItems, usage.VoluntarySwitches, usage.InvoluntarySwitches, pause, collections);
    }

    public static ProcessCounters operator -(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuMicros - b.CpuMicros, a.WorkItems - b.WorkItems, a.VoluntarySwitches - b.VoluntarySwitches, a.InvoluntarySwitches - b.InvoluntarySwitches,
            a.GcPauseMicros - b.GcPauseMicros, a.Collections - b.Collections);

    public static ProcessCounters operator +(ProcessCounters a, ProcessCounters b) =>
        new(a.CpuMicros + b.CpuMicros, a.WorkItems + b.WorkItems, a.VoluntarySwitches + b.VoluntarySwitches, a.InvoluntarySwitches + b.InvoluntarySwitches,
            a.GcPauseMicros + b.GcPauseMicros, a.Collections + b.Collections);

    /// <summary>The STATS fields after the allocation counters.</summary>
    public string ToStatsFields() =>
        FormattableString.Invariant($"{CpuMicros:F0} {WorkItems} {VoluntarySwitches} {InvoluntarySwitches} {GcPauseMicros:F0} {Collections}");

    public static ProcessCounters FromStatsFields(string[] fields, int start) => fields.Length < start + 6
        ? default
        : new(Number(fields[start]), long.Parse(fields[start + 1]), long.Parse(fields[start + 2]), long.Parse(fields[start + 3]),
            Number(fields[start + 4]), long.Parse(fields[start + 5]));

    private static double Number(string field) => double.Parse(field, System.Globalization.CultureInfo.InvariantCulture);

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
