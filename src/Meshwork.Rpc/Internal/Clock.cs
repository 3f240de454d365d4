using System.Diagnostics;

namespace Meshwork.Rpc.Internal;

/// <summary>Monotonic time in microseconds, for deadlines that must not jump with the wall clock.</summary>
internal static class Clock
{
    private static readonly double s_toMicros = 1_000_000.0 / Stopwatch.Frequency;

    public static long NowMicros => (long)(Stopwatch.GetTimestamp() * s_toMicros);

    private static long s_coarseMicros;

    /// <summary>
    /// <see cref="NowMicros"/> as of the last <see cref="DeadlineSweeper"/> tick (at most one resolution old, 5 ms, while
    /// any connection is open; connections register before they use it). For per-frame and per-call bookkeeping that is
    /// only compared against timeouts of seconds (idle, keep-alive, write stall): reading the clock costs a system-clock
    /// read each time, several times per call.
    /// </summary>
    public static long CoarseMicros => Volatile.Read(ref s_coarseMicros);

    /// <summary>Sets <see cref="CoarseMicros"/> to now and returns it.</summary>
    public static long RefreshCoarse()
    {
        long now = NowMicros;
        Volatile.Write(ref s_coarseMicros, now);
        return now;
    }
}
