namespace Meshwork.Rpc.Internal;

/// <summary>
/// A stretch of code on one thread (a <see cref="RunQueue"/> drainer, the frames of one socket read) during which
/// connections whose send pump is idle do not start writing at the first frame appended: they are remembered here and
/// written once, by this thread, when the stretch ends or <see cref="Flush"/> is called. The replies of a batch of
/// handlers, or the requests issued by a batch of completed callers, then leave in one socket write made by the thread
/// that produced them, instead of each waking the pump (a thread-pool work item, often a thread wake-up).
/// <para>
/// Thread-static: a stretch must not span an <c>await</c>. Code in a stretch that blocks on a reply to its own request
/// (sync-over-async in a handler or continuation) would hold that request back; the connection's sweep rescues a
/// deferred pump that survived a whole sweep interval (<see cref="FrameConnection.RescueDeferredPump"/>).
/// </para>
/// </summary>
internal static class WriteBatch
{
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static FrameConnection?[]? t_deferred;
    [ThreadStatic] private static int t_count;

    /// <summary>True while the current thread is inside a stretch: an idle pump should be deferred, not started.</summary>
    public static bool IsOpen => t_depth != 0;

    public static void Open() => t_depth++;

    /// <summary>Ends the stretch; the outermost one starts the pumps deferred in it.</summary>
    public static void Close()
    {
        if (--t_depth == 0) _ = Flush();
    }

    /// <summary>Remembers <paramref name="connection"/>, whose pump this thread took over, until the stretch ends.</summary>
    public static void Defer(FrameConnection connection)
    {
        var deferred = t_deferred ??= new FrameConnection?[4];
        if (t_count == deferred.Length) Array.Resize(ref t_deferred, deferred.Length * 2);
        t_deferred![t_count++] = connection;
    }

    /// <summary>Starts every pump deferred so far on this thread (each writes what its connection queued); false if there was none.</summary>
    public static bool Flush()
    {
        int count = t_count;
        if (count == 0) return false;
        var deferred = t_deferred!;
        t_count = 0;
        for (int i = 0; i < count; i++)
        {
            var connection = deferred[i]!;
            deferred[i] = null;
            connection.StartDeferredPump();
        }
        return true;
    }
}
