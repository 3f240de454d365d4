using System.Net.Sockets;

namespace Meshwork.Rpc.Transport;

/// <summary>
/// How many connections of one server or one channel may read on a thread of their own at a time
/// (<see cref="Server.RpcServerOptions.ReaderThreads"/>, <see cref="Client.RpcClientOptions.ReaderThreads"/>); the
/// connections beyond it use the asynchronous socket model, whose cost does not grow with the number of connections.
/// </summary>
internal sealed class ReaderThreadBudget(int capacity)
{
    private int _inUse;

    /// <summary>Connections holding a reader thread now.</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>
    /// True when a connection of this kind may read on its own thread here: a plaintext socket on Linux (the non-waiting
    /// send it needs is Linux's), and a thread left in the budget, which the caller then holds until it releases it.
    /// </summary>
    public bool TryTake(Socket socket, bool tls)
    {
        if (capacity == 0 || tls || !OperatingSystem.IsLinux() || socket.SocketType != SocketType.Stream) return false;
        if (Interlocked.Increment(ref _inUse) <= capacity) return true;
        Interlocked.Decrement(ref _inUse);
        return false;
    }

    /// <summary>Returns a thread taken by <see cref="TryTake"/>.</summary>
    public void Release() => Interlocked.Decrement(ref _inUse);
}
