using System.Threading.Tasks.Sources;

namespace Meshwork.Tars;

/// <summary>
/// A call waiting for its reply on a <see cref="TarsClientConnection"/>: the request id, the deadline the connection's
/// sweep enforces, and the awaitable the reply body (or the failure) completes. It replaces a TaskCompletionSource plus
/// a per-call <c>WaitAsync</c> timer and promise. Exactly one of reply, timeout, cancellation or connection loss
/// completes it: whoever takes it out of the connection's table.
/// </summary>
/// <remarks>
/// The outcome is handed to the connection's completion <see cref="Meshwork.Rpc.Internal.RunQueue"/> and set there, so
/// the caller's continuation runs inline on a queue drainer: never on the read loop, the sweep timer or a cancelling
/// thread, and the replies of one read cost one or two thread-pool work items instead of one each (as native calls do).
/// </remarks>
internal sealed class TarsPendingCall : IValueTaskSource<byte[]>, IThreadPoolWorkItem
{
    private ManualResetValueTaskSourceCore<byte[]> _core = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration _cancellation;
    private int _completed;
    private byte[]? _body;
    private Exception? _error;

    public TarsPendingCall(TarsClientConnection connection, int requestId, long deadlineMicros)
    {
        Connection = connection;
        RequestId = requestId;
        DeadlineMicros = deadlineMicros;
    }

    public TarsClientConnection Connection { get; }

    public int RequestId { get; }

    /// <summary>When the call times out (<see cref="Meshwork.Rpc.Internal.Clock.NowMicros"/>); 0 for none.</summary>
    public long DeadlineMicros { get; }

    /// <summary>The reply body; throws <see cref="TimeoutException"/>, <see cref="OperationCanceledException"/> or the connection's failure.</summary>
    public ValueTask<byte[]> Reply => new(this, _core.Version);

    /// <summary>Makes <paramref name="cancellationToken"/> end the wait (a no-op for a token that cannot be cancelled).</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled) return;
        _cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
        {
            var call = (TarsPendingCall)state!;
            if (call.Connection.TryTake(call)) call.Fail(new OperationCanceledException(token));
        }, this);
    }

    /// <summary>Drops the cancellation registration (after the wait).</summary>
    public void Release() => _cancellation.Dispose();

    public void Complete(byte[] body)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        _body = body;
        Connection.Completions.Enqueue(this);
    }

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        _error = error;
        Connection.Completions.Enqueue(this);
    }

    /// <summary>Runs on a completion-queue drainer: sets the outcome, running the caller's continuation here.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_error is not null) _core.SetException(_error);
        else _core.SetResult(_body!);
    }

    byte[] IValueTaskSource<byte[]>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<byte[]>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<byte[]>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
