namespace Meshwork.Rpc;

/// <summary>
/// Where a connection runs the code that a frame it reads sets off: on the server a unary or one-way handler, on the
/// client the continuation of the caller whose reply arrived.
/// </summary>
public enum DispatchMode
{
    /// <summary>
    /// On the connection's read loop while that code is quick, on the shared queue of the thread pool otherwise (the
    /// default). Handlers or continuations that take longer than 200 µs three times within 256 runs make the
    /// connection queue its work for the next 100 ms, after which it tries again; and a read loop that stays inside one piece of code for a sweep
    /// interval (5 ms; blocking, or waiting synchronously for another call of the same connection) is handed to a new
    /// thread, which goes on with the frames behind it: code that blocks delays its connection's later frames by 5 to
    /// 10 ms, as a full handler queue would, and never stalls it. Only where the read loop runs on a thread-pool
    /// thread: with the runtime's inline socket completions (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) it runs on
    /// the socket thread of the whole process, and Adaptive then queues everything.
    /// </summary>
    Adaptive = 0,

    /// <summary>
    /// Always on the queue (a bounded number of thread-pool drainers). One more hand-off between threads per read,
    /// which on a 2-core machine costs up to half the rate of small calls; the code never runs on the read loop.
    /// </summary>
    Queued = 1,

    /// <summary>
    /// Always on the read loop, however long it takes (a read loop stuck for a sweep interval is still handed on).
    /// For handlers or continuations known to be quick: one connection then uses one core for them. With inline socket
    /// completions this is also the runtime's socket thread: code that blocks there stalls every socket of the process.
    /// </summary>
    Inline = 2,
}
