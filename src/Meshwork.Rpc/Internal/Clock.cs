using System.Diagnostics;

namespace Meshwork.Rpc.Internal;

/// <summary>Monotonic time in microseconds, for deadlines that must not jump with the wall clock.</summary>
internal static class Clock
{
    private static readonly double s_toMicros = 1_000_000.0 / Stopwatch.Frequency;

    public static long NowMicros => (long)(Stopwatch.GetTimestamp() * s_toMicros);
}
