using System.Runtime.InteropServices;

namespace Meshwork.Cli.Agent;

/// <summary>
/// Undoes an inherited "ignore SIGINT". A shell starts background jobs (and nohup starts its command) with SIGINT
/// ignored, and the runtime keeps an inherited ignore: a handler registered for SIGINT would then never run, and the
/// agent would not leave the cluster on SIGINT as serf does (Go's signal.Notify installs its handler regardless).
/// </summary>
internal static class InheritedInterrupt
{
    private const int SigInt = 2;
    private const nint SigIgn = 1;
    private const nint SigDfl = 0;

    /// <summary>True when SIGINT was inherited ignored and is now back to its default, so that a handler can be installed.</summary>
    public static bool Restore()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        // Query first: the disposition could already be the runtime's own handler, which must stay. The handler is the
        // first field of struct sigaction on Linux and macOS; the buffer is larger than the struct on both.
        var current = new byte[512];
        if (QueryAction(SigInt, 0, current) != 0) return false;
        if (BitConverter.ToInt64(current, 0) != SigIgn) return false;
        return SetDisposition(SigInt, SigDfl) != -1;
    }

    [DllImport("libc", EntryPoint = "sigaction")]
    private static extern int QueryAction(int signal, nint newAction, byte[] oldAction);

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint SetDisposition(int signal, nint handler);
}
