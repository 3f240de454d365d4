using System.Runtime.InteropServices;

namespace Meshwork.Serf.Tests;

/// <summary>POSIX signals for the agent processes we started (no external kill binary needed).</summary>
internal static partial class Signals
{
    public const int SigInt = 2;
    public const int SigCont = 18;
    public const int SigStop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) { throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}"); }
    }
}
