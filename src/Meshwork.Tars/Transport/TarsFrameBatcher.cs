using System.Runtime.CompilerServices;

namespace Meshwork.Tars;

/// <summary>
/// Writes the frames of concurrent calls on one stream (client requests, server replies) with as few writes as the
/// load allows. A caller appends its frame to the pending buffer under a short lock; if no write is under way it
/// becomes the writer and writes everything pending in one write, otherwise it returns at once and its frame leaves
/// with the running writer's next write. Frames appended while a caller writes are written by a thread-pool work item,
/// so no caller waits for more than the one write that carries its own frame. One write per frame (the former design)
/// cost a system call per call and, under contention, an async wait on a write lock.
/// </summary>
/// <remarks>
/// A failed write fails every later append with the same error and is reported to the owner (which closes the
/// connection, so calls waiting for replies fail with it); frames that were only appended are lost with the
/// connection, as they would be in the socket's buffer.
/// </remarks>
internal sealed class TarsFrameBatcher : IThreadPoolWorkItem, IDisposable
{
    /// <summary>A buffer that grew past this (a large frame) goes back to the pool after its write rather than being kept.</summary>
    private const int KeptCapacity = 64 * 1024;

    private readonly Stream _stream;
    private readonly Action<Exception> _onBackgroundFailure;
    private readonly int _maxPendingBytes;
    private long _writeStartedMicros; // when the write under way began; 0 while none runs
    private readonly Lock _gate = new();
    private TarsBufferWriter _pending = new(4096);
    private TarsBufferWriter _writing = new(4096);
    private bool _writerRunning;
    private List<TaskCompletionSource>? _pendingWaiters; // told when the frames now pending are written
    private List<TaskCompletionSource>? _writingWaiters; // told when the write under way completes
    private Exception? _failure;
    private bool _disposed;

    /// <param name="stream">The connection's stream.</param>
    /// <param name="onBackgroundFailure">Told when a write no caller waits for fails.</param>
    /// <param name="maxPendingBytes">
    /// Bytes pending behind the write under way beyond which a caller waits until its own frame is written instead of
    /// returning at once, so that a peer that stops reading holds back the calls (and their in-flight slots) instead of
    /// letting the buffer grow.
    /// </param>
    public TarsFrameBatcher(Stream stream, Action<Exception> onBackgroundFailure, int maxPendingBytes)
    {
        _stream = stream;
        _onBackgroundFailure = onBackgroundFailure;
        _maxPendingBytes = maxPendingBytes;
    }

    /// <summary>
    /// True when a write has been under way for longer than <paramref name="timeoutMicros"/> (0 = never): the peer reads
    /// nothing of what is sent to it, and the owner closes the connection.
    /// </summary>
    public bool IsStalled(long nowMicros, long timeoutMicros)
    {
        long started = Volatile.Read(ref _writeStartedMicros);
        return timeoutMicros > 0 && started != 0 && nowMicros - started > timeoutMicros;
    }

    /// <summary>
    /// Appends one frame (see <see cref="TarsFrame.Append"/>) and makes sure it gets written. Completes at once when
    /// another caller is writing; otherwise when the write that carries this frame completes.
    /// </summary>
    /// <exception cref="TarsPacketTooLargeException">The frame is larger than <paramref name="maxPacketSize"/> (nothing was appended).</exception>
    /// <exception cref="IOException">An earlier write failed (the stream is broken); a failure of this caller's own write surfaces as the stream threw it.</exception>
    /// <param name="state">What the frame is written from.</param>
    /// <param name="writeBody">Writes the packet body.</param>
    /// <param name="maxPacketSize">Largest frame allowed, length prefix included.</param>
    /// <param name="frameLength">The frame's size, length prefix included (0 when nothing was appended).</param>
    /// <param name="waitForWrite">
    /// Complete only once the frame is written even when another caller writes it (one-way calls, whose caller
    /// expects the request on the wire when the call returns); costs a completion source while another write runs.
    /// </param>
    public ValueTask WriteAsync<TState>(TState state, TarsFrame.BodyWriter<TState> writeBody, int maxPacketSize, out int frameLength,
        bool waitForWrite = false)
    {
        frameLength = 0;
        lock (_gate)
        {
            if (_failure is not null) return ValueTask.FromException(new IOException(_failure.Message, _failure));
            ObjectDisposedException.ThrowIf(_disposed, this);
            frameLength = TarsFrame.Append(_pending, state, writeBody, maxPacketSize);
            if (_writerRunning)
            {
                return waitForWrite || BackedUpLocked ? new ValueTask(WaitLocked(ref _pendingWaiters)) : ValueTask.CompletedTask;
            }
            _writerRunning = true;
        }
        return WriteOnceAsync();
    }

    /// <summary>True while more than the limit given at construction waits behind the write under way.</summary>
    public bool IsBackedUp
    {
        get { lock (_gate) return BackedUpLocked; }
    }

    private bool BackedUpLocked => _writerRunning && _pending.WrittenCount > _maxPendingBytes;

    /// <summary>Completes once every frame appended so far is written (a server draining before it closes the connection).</summary>
    public Task WhenWrittenAsync()
    {
        lock (_gate)
        {
            if (_failure is not null) return Task.FromException(new IOException(_failure.Message, _failure));
            if (_pending.WrittenCount > 0 && !_disposed) return WaitLocked(ref _pendingWaiters);
            if (_writerRunning) return WaitLocked(ref _writingWaiters);
            return Task.CompletedTask;
        }
    }

    private static Task WaitLocked(ref List<TaskCompletionSource>? waiters)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (waiters ??= []).Add(waiter);
        return waiter.Task;
    }

    private static void Tell(List<TaskCompletionSource>? waiters, Exception? error)
    {
        if (waiters is null) return;
        foreach (var w in waiters)
        {
            if (error is null) w.TrySetResult();
            else w.TrySetException(error);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteOnceAsync()
    {
        await WriteBatchAsync().ConfigureAwait(false);
        if (!ReleaseIfIdle()) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private async Task DrainAsync()
    {
        try
        {
            do
            {
                await WriteBatchAsync().ConfigureAwait(false);
            }
            while (!ReleaseIfIdle());
        }
        catch (Exception e)
        {
            _onBackgroundFailure(e);
        }
    }

    /// <summary>Ends the writer's turn when nothing is pending; false when frames wait and the writer must go on.</summary>
    private bool ReleaseIfIdle()
    {
        List<TaskCompletionSource>? abandoned;
        lock (_gate)
        {
            if (_pending.WrittenCount > 0 && !_disposed) return false;
            _writerRunning = false;
            abandoned = _pendingWaiters; // only when disposed with frames pending: they will never be written
            _pendingWaiters = null;
        }
        Tell(abandoned, abandoned is null ? null : new ObjectDisposedException(nameof(TarsFrameBatcher), "the connection closed before the frame was written"));
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchAsync()
    {
        TarsBufferWriter batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = _writing;
            _writing = batch;
            _writingWaiters = _pendingWaiters;
            _pendingWaiters = null;
        }
        List<TaskCompletionSource>? written;
        Volatile.Write(ref _writeStartedMicros, Meshwork.Rpc.Internal.Clock.NowMicros);
        try
        {
            await _stream.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            List<TaskCompletionSource>? failedPending;
            lock (_gate)
            {
                _failure = e;
                _writerRunning = false;
                _pending.Clear();
                batch.Clear();
                written = _writingWaiters;
                failedPending = _pendingWaiters;
                _writingWaiters = _pendingWaiters = null;
            }
            Volatile.Write(ref _writeStartedMicros, 0);
            Tell(written, e);
            Tell(failedPending, e);
            throw;
        }
        Volatile.Write(ref _writeStartedMicros, 0);
        lock (_gate)
        {
            written = _writingWaiters;
            _writingWaiters = null;
            if (batch.Capacity > KeptCapacity && !_disposed)
            {
                // Written and swapped out, so nobody else holds it: keep a small array instead of a large frame's.
                batch.Dispose();
                _writing = new TarsBufferWriter(4096);
            }
            else
            {
                batch.Clear();
            }
        }
        Tell(written, null);
    }

    /// <summary>Returns the buffers to the pool unless a write is running (then they are left to the GC).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_writerRunning) return;
            _pending.Dispose();
            _writing.Dispose();
        }
    }
}
