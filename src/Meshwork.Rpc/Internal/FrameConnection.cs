using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Protocol;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// The call a frame of new work belongs to, asked under the write lock just before the frame is appended, so that a
/// call ended meanwhile (deadline, cancellation) never has its frame sent after the cancel its ender queued: whoever
/// ends a call marks it before queuing the cancel, and the cancel's append waits for this one's lock.
/// </summary>
internal interface ISendOwner
{
    /// <summary>True if the call with <paramref name="id"/>, on <paramref name="connection"/>, is still going and its
    /// frame may be sent (the owner may record the moment); false gives the frame up with <see cref="FrameWrite.Abandoned"/>.</summary>
    bool ConfirmSend(FrameConnection connection, ulong id);

    /// <summary>True once the call with <paramref name="id"/> on <paramref name="connection"/> has ended (no side effect):
    /// a frame waiting for room for it gives up instead of waiting on.</summary>
    bool HasEnded(FrameConnection connection, ulong id);
}

/// <summary>What became of a frame offered to the send queue.</summary>
internal enum FrameWrite
{
    /// <summary>Appended; the pump will send it.</summary>
    Written,
    /// <summary>Not appended: the queue is at its limit and the frame is new work that must wait for room.</summary>
    QueueFull,
    /// <summary>Not appended: the connection no longer accepts writes.</summary>
    Closed,
    /// <summary>Not appended: the frame is no longer wanted (the call it belongs to ended).</summary>
    Abandoned,
}

/// <summary>
/// One multiplexed connection: a read loop that parses frames and hands them to <see cref="OnFrame"/>, and a write
/// path where any thread appends whole frames to the pending send buffer under a short lock while a single pump
/// writes everything queued to the socket (<see cref="SendBuffers"/>). The pump is what coalesces many frames into one write.
/// The pump is not a task of its own waiting to be woken: a thread that appends to an idle connection while draining
/// a batch (handlers, completions, the frames of one read: see <see cref="WriteBatch"/>) runs it itself at the end of
/// the batch, so that a batch costs one socket write and no thread-pool hop; any other writer queues it to the thread
/// pool. A write the socket cannot take at once continues on the thread pool, as do pumps that keep finding more to
/// send (see <see cref="MaxInlineWrites"/>).
/// Memory is bounded by back-pressure, not by dropping frames: every byte queued, read-but-unparsed or charged for a
/// call in flight is counted here and in the shared <see cref="BufferBudget"/>; a side that must not grow stops
/// reading (<see cref="MustPauseReading"/>) or waits for room (<see cref="WaitForWriteRoomAsync"/>), and a peer that
/// reads nothing of what is queued for it within the write-stall timeout loses the connection.
/// </summary>
internal abstract class FrameConnection
{
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly SendBuffers _output = new();
    private bool _writesCompleted; // under _writeLock: no more frames; the pump exits once the queue is sent
    // Who runs the pump: Idle = nobody, the next writer must start it (set under _writeLock, by the pump);
    // Running = a thread is in PumpAsync or about to enter it; Deferred = a thread will start it when its WriteBatch
    // ends (or the sweep or close steal it). Leaving Idle happens under _writeLock; leaving Deferred is a CAS.
    private int _pump = PumpRunning; // until Start runs it for the first time
    private const int PumpIdle = 0, PumpRunning = 1, PumpDeferred = 2;
    /// <summary>Socket writes a pump makes on the thread that started it before handing over to the thread pool, so
    /// that a caller that happened to start the pump is not kept writing other callers' frames for long.</summary>
    private const int MaxInlineWrites = 4;
    /// <summary>
    /// Frames a read loop handles between two flushes of what they queued (see <see cref="WriteBatch"/>). Writing only
    /// at the end of a read left the peer idle while this side worked through a batch of 64 frames, and this side idle
    /// while the peer worked through the answers: the two cores took turns. A write every 16 frames lets the peer start
    /// on the first ones meanwhile, for a sixteenth of the system calls of a write per frame (bench, c=64, one
    /// connection, interleaved: 50-57 % of the bare echo against 43-58 % without, and more CPU per call on each side).
    /// The write is made only when the rest of the read is at least as long as what those frames took: a read of 17 or
    /// 20 frames (several connections share the callers, so their reads are shorter) would otherwise cost two writes
    /// where one does, the second for a few frames (at 4 connections, 0.088 writes per call against the bare echo's 0.059).
    /// </summary>
    private const int FlushEveryFrames = 16;
    private int _deferrals;         // deferrals ever made; the sweep compares it with what it saw last time
    private int _deferralsAtSweep = -1;
    private readonly TaskCompletionSource _pumpDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _started;
    // Lock rather than a Monitor on an object: its owner check reads the thread id from a managed thread-static
    // instead of calling into the runtime (`__tls_get_addr`), and it is taken on every frame.
    private readonly Lock _writeLock = new();
    private readonly Utf8StringCache? _names;
    private readonly long _maxQueuedBytes;
    private readonly BufferBudget _budget;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _roomLock = new();
    private readonly SemaphoreSlim _roomGate = new(1, 1);
    private TaskCompletionSource? _roomWaiter;
    private int _waitingWriters;  // frames of new work waiting for room (WriteFrameWhenRoomAsync), holding or queued at the gate
    private long _queuedBytes;    // written by TryWriteFrame and the pump under _writeLock
    private long _inFlightBytes;  // request bodies of calls being served: their replies are still to come
    private long _inputBytes;     // read from the socket but not parsed yet; read loop only
    private long _progressMicros; // last time the queue drained a write, or became non-empty
    private bool _settled;        // queued bytes were handed back to the budget at close
    private int _state; // 0 open, 1 closing (no new writes), 2 closed

    protected FrameConnection(Stream stream, string peer, ConnectionLimits limits, Utf8StringCache? names, ILogger logger, BufferBudget budget)
    {
        _budget = budget;
        _stream = stream;
        Peer = peer;
        Limits = limits;
        _names = names;
        Logger = logger;
        _maxQueuedBytes = limits.MaxQueuedWriteBytes;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        LastActivityMicros = Clock.NowMicros;
    }

    public string Peer { get; }

    public ConnectionLimits Limits { get; }

    protected ILogger Logger { get; }

    /// <summary>Last time a frame arrived, for idle and keep-alive decisions.</summary>
    public long LastActivityMicros;

    public bool IsClosed => Volatile.Read(ref _state) != 0;

    /// <summary>The budget this connection's memory is counted in.</summary>
    protected BufferBudget Budget => _budget;

    /// <summary>Bytes queued for sending right now.</summary>
    public long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>Bytes this connection holds: queued for sending plus charged for calls in flight.</summary>
    public long HeldBytes => Volatile.Read(ref _queuedBytes) + Volatile.Read(ref _inFlightBytes);

    /// <summary>True while the send queue is at or above <c>MaxQueuedWriteBytes</c>: new work for this peer should wait.</summary>
    public bool IsWriteQueueFull => Volatile.Read(ref _queuedBytes) >= _maxQueuedBytes;

    /// <summary>Completes when both loops have ended and the stream is disposed.</summary>
    public Task Closed => _closed.Task;

    public void Start()
    {
        _started = true;
        _ = PumpAsync(); // sends what was queued before the start, or goes idle
        // On a thread-pool thread of its own and in the default execution context: started inline, a first read that
        // completes at once would run handlers on the caller's thread (the server's accept loop) and in its context.
        ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.ReadLoopAsync(), this, preferLocal: false);
    }

    /// <summary>Handles one frame. The body is only valid until this returns; decode or copy it.</summary>
    protected abstract void OnFrame(ref FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>
    /// Called on the read loop after the frames of one read were handled (also when one of them failed): what
    /// <see cref="OnFrame"/> accumulated for the whole read (returned slots, say) is published here in one step, so
    /// that the shared counters it touches move between the cores once per read instead of once per frame.
    /// </summary>
    protected virtual void OnFramesHandled()
    {
    }

    /// <summary>Counts and logs (rate-limited, without a stack trace) a protocol error the peer made; the connection then closes.</summary>
    protected abstract void ReportProtocolError(ProtocolException error);

    /// <summary>Called once when the connection is gone, with the reason (null = orderly close).</summary>
    protected abstract void OnClosed(Exception? reason);

    /// <summary>
    /// Appends a frame to the send queue whatever its length: replies of admitted calls, statuses, acks and window
    /// updates are never refused for size. Returns false if the connection no longer accepts writes.
    /// </summary>
    public bool TryWriteFrame(in FrameHeader header, ReadOnlySpan<byte> body) => Append(header, body, withinLimit: false) == FrameWrite.Written;

    /// <summary>
    /// Appends a frame of new work (a request, a stream message) only while the send queue is under
    /// <c>MaxQueuedWriteBytes</c> and no earlier frame of new work is waiting for room (see
    /// <see cref="WriteFrameWhenRoomAsync"/>). The check and the append are one step under the write lock, so writers
    /// racing each other can take the queue past its limit by one frame at most; checking first and appending after the
    /// encoding let every writer that looked at the same moment add its frame. <paramref name="owner"/>, when given, is
    /// asked under the same lock whether call <paramref name="ownerId"/> still wants the frame.
    /// </summary>
    public FrameWrite TryWriteFrameWithinLimit(in FrameHeader header, ReadOnlySpan<byte> body, ISendOwner? owner = null, ulong ownerId = 0) =>
        Append(header, body, withinLimit: true, waited: false, owner, ownerId);

    /// <summary>
    /// Appends a frame of new work as soon as the send queue is under its limit (see <see cref="TryWriteFrameWithinLimit"/>).
    /// Writers that have to wait go one at a time and in turn, so that the progress which wakes them lets one frame in,
    /// not one per waiter; while any waits, new frames of new work wait behind it instead of taking the room it waits
    /// for, so a parked request is never overtaken by later one-way calls or stream messages. <paramref name="owner"/>,
    /// when given, is asked before every append whether call <paramref name="ownerId"/> still wants the frame; a no
    /// gives up with <see cref="FrameWrite.Abandoned"/>.
    /// </summary>
    public async ValueTask<FrameWrite> WriteFrameWhenRoomAsync(FrameHeader header, ReadOnlyMemory<byte> body, ISendOwner? owner, ulong ownerId, CancellationToken ct)
    {
        var outcome = Append(header, body.Span, withinLimit: true, waited: false, owner, ownerId);
        if (outcome != FrameWrite.QueueFull) return outcome;
        Interlocked.Increment(ref _waitingWriters);
        _budget.AddWaitingWriter(1);
        try
        {
            if (owner is null)
            {
                await _roomGate.WaitAsync(ct).ConfigureAwait(false);
            }
            else
            {
                // A call can end (deadline, cancellation) while its frame waits for its turn: it looks again every poll
                // interval, so the frame of an ended call leaves the line instead of keeping its place until the peer
                // reads. (A frame that looks again rejoins the line at its end: the order among calls is not kept.)
                while (!await _roomGate.WaitAsync(RoomPollInterval, ct).ConfigureAwait(false))
                {
                    if (owner.HasEnded(this, ownerId)) return FrameWrite.Abandoned;
                }
            }
            try
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    // Asked before every attempt, room or not: a call that ended gives its turn up at once.
                    if (owner is not null && owner.HasEnded(this, ownerId)) return FrameWrite.Abandoned;
                    outcome = Append(header, body.Span, withinLimit: true, waited: true, owner, ownerId);
                    if (outcome != FrameWrite.QueueFull) return outcome;
                    await WaitForProgressAsync().WaitAsync(ct).ConfigureAwait(false);
                }
            }
            finally
            {
                _roomGate.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waitingWriters);
            _budget.AddWaitingWriter(-1);
        }
    }

    /// <summary>How often a frame waiting for room (or for its turn) looks again without being woken: the shared budget
    /// can be freed by other connections, and the call a frame belongs to can end meanwhile.</summary>
    private static readonly TimeSpan RoomPollInterval = TimeSpan.FromMilliseconds(50);

    private FrameWrite Append(in FrameHeader header, ReadOnlySpan<byte> body, bool withinLimit, bool waited = false, ISendOwner? owner = null, ulong ownerId = 0)
    {
        int start = PumpIdle;
        lock (_writeLock)
        {
            if (_state != 0) return FrameWrite.Closed;
            // Writers that waited take the room in turn (the gate); a newcomer may not pass them.
            if (withinLimit && (_queuedBytes >= _maxQueuedBytes || (!waited && Volatile.Read(ref _waitingWriters) > 0))) return FrameWrite.QueueFull;
            if (owner is not null && !owner.ConfirmSend(this, ownerId)) return FrameWrite.Abandoned;
            int before = _output.PendingLength;
            // The header is checked (size limit) before anything is appended, so a refused frame leaves no trace.
            FrameCodec.Write(_output, header, body);
            long added = _output.PendingLength - before;
            // Growth is stopped upstream (reads pause, new work waits for room) and a peer that reads nothing is cut
            // off by the stall timeout.
            if (_queuedBytes == 0) Volatile.Write(ref _progressMicros, Clock.CoarseMicros);
            Volatile.Write(ref _queuedBytes, _queuedBytes + added);
            _budget.Add(added);
            if (_pump == PumpIdle)
            {
                _pump = start = WriteBatch.IsOpen ? PumpDeferred : PumpRunning;
                if (start == PumpDeferred) _deferrals++;
            }
        }
        // Outside a batch the pump goes to the thread pool, as a woken pump task did: a writer that ran it itself would
        // drain the queue into the socket at once, so that every concurrent writer saw an empty queue and the
        // MaxQueuedWriteBytes limit on new work stopped holding when the peer stops reading.
        if (start == PumpRunning) ThreadPool.UnsafeQueueUserWorkItem(s_runPump, this, preferLocal: false);
        else if (start == PumpDeferred) WriteBatch.Defer(this);
        return FrameWrite.Written;
    }

    private static readonly Action<FrameConnection> s_runPump = static c => _ = c.PumpAsync();

    /// <summary>Runs the pump deferred by a <see cref="WriteBatch"/>, unless the sweep or close took it over meanwhile.</summary>
    internal void StartDeferredPump()
    {
        if (Interlocked.CompareExchange(ref _pump, PumpRunning, PumpDeferred) == PumpDeferred) _ = PumpAsync();
    }

    /// <summary>
    /// Called by the connection's sweep: a pump that stayed deferred for a whole sweep interval belongs to a thread that
    /// is blocked inside its batch (it may be waiting for the reply to a request it queued); it is started from here.
    /// </summary>
    protected void RescueDeferredPump()
    {
        int deferrals = Volatile.Read(ref _deferrals);
        if (Volatile.Read(ref _pump) == PumpDeferred && deferrals == _deferralsAtSweep)
        {
            StartDeferredPump();
        }
        _deferralsAtSweep = deferrals;
    }

    private Task ReadLoopAsync() => ReadLoopAsync(epoch: 0, resume: null);

    /// <summary>
    /// The read loop. <paramref name="epoch"/> is its ownership of the connection's reading (see
    /// <see cref="TryRunInline"/>): a loop taken over by the sweep returns as soon as the code it ran comes back, without
    /// touching the reader again. A loop started by a takeover gets the rest of the stuck loop's read in
    /// <paramref name="resume"/> and handles it first.
    /// </summary>
    private async Task ReadLoopAsync(long epoch, ResumePoint? resume)
    {
        Exception? reason = null;
        try
        {
            while (true)
            {
                ReadOnlySequence<byte> buffer;
                bool ended;
                if (resume is { } from)
                {
                    (buffer, ended) = (from.Rest, from.Ended);
                    resume = null;
                }
                else
                {
                    if (MustPauseReading()) await PauseReadingAsync().ConfigureAwait(false);
                    var result = await _input.ReadAsync().ConfigureAwait(false);
                    buffer = result.Buffer;
                    ended = result.IsCompleted || result.IsCanceled;
                }
                bool paused = false, lost = false;
                // What the frames of this read cause to be sent (replies of inline handlers, acks, window updates)
                // leaves in one write at the end of the read, and every FlushEveryFrames frames before it.
                WriteBatch.Open();
                try
                {
                    // Once per read, not per frame: the coarse clock does not move within one read anyway.
                    if (!buffer.IsEmpty) LastActivityMicros = Clock.CoarseMicros;
                    BeginInlineRead(epoch);
                    int frames = 0;
                    long lengthAtFlush = buffer.Length; // what was left of the read at the last write
                    while (FrameCodec.TryRead(ref buffer, Limits.MaxFrameSize, _names, out var header, out var body))
                    {
                        // Where a takeover would go on from, should this frame's code get stuck.
                        _resumeRest = buffer;
                        _resumeEnded = ended;
                        OnFrame(ref header, body);
                        if (Volatile.Read(ref _inlineState) >> 2 != epoch)
                        {
                            lost = true;
                            break;
                        }
                        if (MustPauseReading())
                        {
                            paused = true;
                            break;
                        }
                        if (++frames == FlushEveryFrames)
                        {
                            frames = 0;
                            long left = buffer.Length;
                            // Only when the rest of the read is at least as long as these frames were (see FlushEveryFrames).
                            if (left >= lengthAtFlush - left)
                            {
                                lengthAtFlush = left;
                                // The write is the loop's time, not the next run's: charged to it, the send of 16 replies
                                // (which on loopback also delivers them to the peer) made runs count as slow.
                                if (WriteBatch.Flush() && DispatchMode == DispatchMode.Adaptive) _runClock = Stopwatch.GetTimestamp();
                            }
                        }
                    }
                }
                finally
                {
                    lost = lost || Volatile.Read(ref _inlineState) >> 2 != epoch;
                    if (!lost) OnFramesHandled();
                    WriteBatch.Close();
                    if (!lost)
                    {
                        // When pausing, the rest is left unexamined so that the next read returns it without waiting for the peer.
                        _input.AdvanceTo(buffer.Start, paused ? buffer.Start : buffer.End);
                        SetInputBytes(buffer.Length);
                    }
                }
                if (lost) return;
                if (paused) continue;
                if (ended)
                {
                    if (!buffer.IsEmpty)
                    {
                        var truncated = new ProtocolException($"connection closed by {Peer} in the middle of a frame", StatusCode.InvalidArgument, ProtocolErrorKind.TruncatedFrame);
                        ReportProtocolError(truncated);
                        reason = truncated;
                    }
                    break;
                }
            }
        }
        catch (Exception ex) when (Volatile.Read(ref _inlineState) >> 2 != epoch)
        {
            // The loop is someone else's now: what the code that got stuck threw when it came back is only reported.
            RpcLog.ConnectionFault(Logger, Peer, ex);
            return;
        }
        catch (ProtocolException ex)
        {
            reason = ex;
            ReportProtocolError(ex);
            // Tell the peer why before closing; best effort.
            var error = new FrameHeader { Type = FrameType.Error, Status = ex.Status, StatusMessage = ex.Message };
            TryWriteFrame(error, default);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            reason = IsClosed ? null : ex;
        }
        catch (Exception ex)
        {
            reason = ex;
            RpcLog.ConnectionFault(Logger, Peer, ex);
        }
        SetInputBytes(0);
        await _input.CompleteAsync().ConfigureAwait(false);
        await CloseAsync(reason).ConfigureAwait(false);
    }

    // ---- running work on the read loop ------------------------------------------------------------------------
    //
    // Handing the code a frame sets off (a handler, a caller's continuation) from the read loop to another thread costs
    // the call a thread hand-off, and every line of memory both threads touch (the call, the queue, the counters) then
    // moves between the cores: on the 2-core machines measured, that was up to half of the rate of small calls. The
    // read loop therefore runs such code itself while it is quick (DispatchMode.Adaptive), and two safeguards keep a
    // slow or blocking piece of code from holding up the frames behind it:
    //  * pieces of code that take longer than InlineRunBudget SlowRunsToQueue times
    //    within SlowRunWindow runs send the connection's work to the queue for QueueAfterSlowRead (one slow run is
    //    usually a garbage collection or the thread being preempted, not slow code);
    //  * the sweep (every 5 ms) takes the reading over from a loop that has been inside the same piece of code since the
    //    previous sweep: a new loop goes on with the rest of the read, and the old one returns, without touching the
    //    reader, once its code comes back.
    // Ownership is an epoch in _inlineState (epoch * 4 + phase; phase 1 = inside inline code): the loop enters and leaves
    // phase 1 around each piece of code, the sweep's takeover moves the state to the next epoch with one
    // compare-and-swap, so exactly one of the two (the returning code or the sweep) wins.

    /// <summary>
    /// Time one piece of inline code may take before it counts as slow (see <see cref="SlowRunCounter"/>). Far above a quick handler or continuation (a few microseconds) and below what would noticeably delay
    /// the frames behind it; a thread preempted in the middle of one also counts, which on a busy machine only moves
    /// work to the queue for a while.
    /// </summary>
    internal static readonly long InlineRunBudgetTicks = Stopwatch.Frequency / 5000; // 200 µs


    /// <summary>How long a connection queues its work after a slow read, before it tries the read loop again.</summary>
    internal static readonly long DefaultQueueAfterSlowReadTicks = Stopwatch.Frequency / 10; // 100 ms

    /// <summary>This connection's <see cref="DefaultQueueAfterSlowReadTicks"/> (tests lengthen it).</summary>
    internal long QueueAfterSlowReadTicks { get; set; } = DefaultQueueAfterSlowReadTicks;

    private readonly record struct ResumePoint(ReadOnlySequence<byte> Rest, bool Ended);

    /// <summary>Where the code a frame sets off runs; set by the subclass from its options.</summary>
    protected DispatchMode DispatchMode { get; init; }

    private long _inlineState;       // epoch * 4 + phase (0 = not inside inline code, 1 = inside)
    private int _inlineRuns;         // inline pieces of code started; the sweep compares it with what it saw last time
    private int _inlineRunsAtSweep = -1;
    private long _queueUntilTicks;   // Adaptive: the read loop queues its work until then
    private bool _inlineThisRead;    // read loop only
    // Read loop only (Adaptive): when the previous inline run ended, or the read began; the start of the next run. One
    // clock read per run instead of two: the clock was 15 % of the server's samples at 64 callers with reader threads.
    // A run is thus also charged the parsing of its frame, which is the read loop's time as well.
    private long _runClock;
    private SlowRunCounter _slowRuns; // read loop only
    private int _collectionsAtRead; // read loop only (Adaptive): gen0 collections of the process when the read began
    private ExecutionContext? _loopContext; // read loop only: the context of the loop's thread, as of the read's start
    private ReadOnlySequence<byte> _resumeRest; // read loop only: the rest of the current read after the current frame
    private bool _resumeEnded;
    private static long s_takeovers;
    private int _takeovers;

    /// <summary>Read loops taken over by the sweep because the code they ran stayed inside one call for a sweep interval
    /// (process-wide, for diagnostics and tests).</summary>
    internal static long ReadLoopTakeovers => Volatile.Read(ref s_takeovers);

    /// <summary>Read loops of this connection taken over by the sweep.</summary>
    internal int Takeovers => Volatile.Read(ref _takeovers);

    /// <summary>The connection's stream when it reads on a thread of its own (see <see cref="Transport.ReaderThreadStream"/>), else null.</summary>
    internal Transport.ReaderThreadStream? ReaderThread => _stream as Transport.ReaderThreadStream;

    /// <summary>Inline pieces of code this connection's read loops have run.</summary>
    internal int InlineRuns => Volatile.Read(ref _inlineRuns);

    /// <summary>True while a slow read or a takeover has the connection queue its work instead of running it inline.</summary>
    internal bool IsQueueingAfterSlowWork => Stopwatch.GetTimestamp() < Volatile.Read(ref _queueUntilTicks);

    private void BeginInlineRead(long epoch)
    {
        long now = 0;
        if (DispatchMode == DispatchMode.Adaptive)
        {
            now = Stopwatch.GetTimestamp();
            _collectionsAtRead = GC.CollectionCount(0);
        }
        _runClock = now;
        _inlineThisRead = DispatchMode switch
        {
            DispatchMode.Inline => true,
            // Only on a thread-pool thread or the connection's own reader thread: with
            // DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 the read loop runs on the runtime's socket thread, which code
            // that blocks would take from every socket of the process, and no takeover can give it back.
            DispatchMode.Adaptive => now >= Volatile.Read(ref _queueUntilTicks) && (Thread.CurrentThread.IsThreadPoolThread || Transport.ReaderThreadStream.IsReaderThread),
            _ => false,
        };
        // The loop's context, which every run starts in and is put back to afterwards: captured once per read rather
        // than before each run (a thread-static read, __tls_get_addr on Linux, per frame).
        _loopContext = ExecutionContext.Capture();
        Volatile.Write(ref _inlineState, epoch << 2);
    }

    /// <summary>Adaptive: after each inline run; the third slow run in a window sends the rest of the read, and the
    /// next <see cref="QueueAfterSlowReadTicks"/>, to the queue.</summary>
    private void AfterInlineRun(long started)
    {
        long now = Stopwatch.GetTimestamp();
        _runClock = now;
        // A slow run in a read during which this process collected garbage is not counted: the collection stopped the
        // thread, not the code. In the bench at 64 callers (server collector, about 20 gen0 collections a second) more
        // than half of the slow runs were in such reads. Slow code still shows in the reads without a collection.
        bool slow = now - started > InlineRunBudgetTicks && GC.CollectionCount(0) == _collectionsAtRead;
        if (_slowRuns.Record(slow))
        {
            _inlineThisRead = false;
            Volatile.Write(ref _queueUntilTicks, now + QueueAfterSlowReadTicks);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> here, on the read loop, if this read may (see <see cref="DispatchMode"/>); false
    /// when the caller must queue it. Only ever called from <see cref="OnFrame"/>.
    /// </summary>
    protected bool TryRunInline(IThreadPoolWorkItem work)
    {
        if (!_inlineThisRead) return false;
        BeforeInlineRun();
        long idle = Volatile.Read(ref _inlineState);
        var context = _loopContext;
        bool adaptive = DispatchMode == DispatchMode.Adaptive;
        long started = adaptive ? _runClock : 0;
        bool owner = false;
        _inlineRuns++;
        Volatile.Write(ref _inlineState, idle | 1);
        try
        {
            work.Execute();
        }
        finally
        {
            // Fails only when the sweep took the reading over meanwhile: the read loop sees the new epoch and returns,
            // and leaves the loop's state to the new loop.
            owner = Interlocked.CompareExchange(ref _inlineState, idle, idle | 1) == (idle | 1);
            // Code that set an AsyncLocal without an await of its own (a synchronous handler setting Activity.Current or
            // a culture) changed this thread's context: the next frame must not inherit it, as it would not on a drainer.
            if (context is not null && !ReferenceEquals(ExecutionContext.Capture(), context)) ExecutionContext.Restore(context);
        }
        if (owner && adaptive) AfterInlineRun(started);
        return true;
    }

    /// <summary>Called on the read loop just before it runs a piece of code inline: publish what the code may need.</summary>
    protected virtual void BeforeInlineRun()
    {
    }

    /// <summary>
    /// Called by the connection's sweep: a read loop that has been inside the same inline code since the previous sweep
    /// is blocked (or busy for a long time); a new loop takes the reading over with the rest of its read, and the
    /// connection queues its work for a while.
    /// </summary>
    protected void RescueBlockedReadLoop()
    {
        // The state first: a run counted after it was read cannot be the one the state shows (runs are counted before
        // they enter phase 1), so a loop that moved on to its next piece of code is never taken for stuck.
        long state = Volatile.Read(ref _inlineState);
        int runs = Volatile.Read(ref _inlineRuns);
        bool stuck = (state & 1) == 1 && runs == _inlineRunsAtSweep;
        _inlineRunsAtSweep = runs;
        if (!stuck) return;
        long next = ((state >> 2) + 1) << 2;
        if (Interlocked.CompareExchange(ref _inlineState, next, state) != state) return;
        // The stuck loop no longer touches these once the state moved on.
        var resume = new ResumePoint(_resumeRest, _resumeEnded);
        if (DispatchMode == DispatchMode.Adaptive) Volatile.Write(ref _queueUntilTicks, Stopwatch.GetTimestamp() + QueueAfterSlowReadTicks);
        Interlocked.Increment(ref s_takeovers);
        Interlocked.Increment(ref _takeovers);
        RpcLog.ReadLoopTakenOver(Logger, Peer);
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Connection.ReadLoopAsync(s.Epoch, s.Resume), (Connection: this, Epoch: next >> 2, Resume: resume), preferLocal: false);
    }

    private void SetInputBytes(long bytes)
    {
        long delta = bytes - _inputBytes;
        if (delta == 0) return;
        _inputBytes = bytes;
        _budget.Add(delta);
    }

    /// <summary>
    /// True when the read loop should stop taking frames from the peer (back-pressure through TCP instead of the heap).
    /// The default never pauses; the server pauses while a connection holds its limit, or holds anything while the
    /// shared budget is used up.
    /// </summary>
    protected virtual bool MustPauseReading() => false;

    /// <summary>Waits until <see cref="MustPauseReading"/> turns false or the connection closes.</summary>
    private async Task PauseReadingAsync()
    {
        _budget.CountReadPause();
        while (!IsClosed && MustPauseReading())
        {
            await WaitForProgressAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits while the send queue is full (see <see cref="IsWriteQueueFull"/>), so that a producer (a stream, a new
    /// call) slows down to the peer's reading speed instead of growing the queue. Returns at once when there is room.
    /// </summary>
    public async ValueTask WaitForWriteRoomAsync(CancellationToken ct)
    {
        if (!IsWriteQueueFull || IsClosed) return;
        // Waiters go one at a time, so that the progress that wakes them does not let all of them add a frame at
        // once (a thundering herd would overshoot the limit by one frame per waiter).
        await _roomGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (IsWriteQueueFull && !IsClosed)
            {
                ct.ThrowIfCancellationRequested();
                await WaitForProgressAsync().WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _roomGate.Release();
        }
    }

    /// <summary>Completes when the pump has sent something or a call in flight finished, or after a short poll interval
    /// (the shared budget can be freed by other connections, which do not wake this one).</summary>
    private Task WaitForProgressAsync()
    {
        Task wake;
        lock (_roomLock)
        {
            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wake = _roomWaiter.Task;
        }
        return Task.WhenAny(wake, Task.Delay(RoomPollInterval));
    }

    private void WakeWaiters()
    {
        // Called per flush and per finished call; without a waiter (the usual case) it costs one read.
        if (Volatile.Read(ref _roomWaiter) is null) return;
        TaskCompletionSource? waiter;
        lock (_roomLock)
        {
            waiter = _roomWaiter;
            _roomWaiter = null;
        }
        waiter?.TrySetResult();
    }

    /// <summary>Counts the request body of a call now in flight against this connection and the budget.</summary>
    protected void ChargeInFlight(long bytes)
    {
        Interlocked.Add(ref _inFlightBytes, bytes);
        _budget.Add(bytes);
    }

    /// <summary>Returns what <see cref="ChargeInFlight"/> took, when the call is over.</summary>
    protected void ReleaseInFlight(long bytes)
    {
        if (bytes == 0) return;
        Interlocked.Add(ref _inFlightBytes, -bytes);
        _budget.Add(-bytes);
        WakeWaiters();
    }

    /// <summary>
    /// True when something has been queued for the peer and nothing of it was sent for <paramref name="timeoutMicros"/>:
    /// the peer stopped reading (the kernel's buffers towards it are full).
    /// </summary>
    protected bool IsWriteStalled(long nowMicros, long timeoutMicros) =>
        timeoutMicros > 0 && Volatile.Read(ref _queuedBytes) > 0 && nowMicros - Volatile.Read(ref _progressMicros) > timeoutMicros;

    /// <summary>
    /// Writes everything queued, in as few socket writes as possible, until nothing is left; then marks the pump idle and
    /// returns. Only one runs at a time (the state <c>_pump</c> says who owns it). Runs synchronously on the caller's
    /// thread as long as the socket takes the writes at once; after <see cref="MaxInlineWrites"/> writes it moves to the
    /// thread pool. Never throws: a failed write aborts the connection.
    /// </summary>
    private async Task PumpAsync()
    {
        try
        {
            for (int writes = 0; ; writes++)
            {
                ReadOnlyMemory<byte> block;
                lock (_writeLock)
                {
                    if (_output.PendingLength == 0)
                    {
                        if (_writesCompleted) break;
                        _pump = PumpIdle;
                        return;
                    }
                    if (writes == MaxInlineWrites)
                    {
                        // Still owned (Running): the work item continues it with a fresh count.
                        ThreadPool.UnsafeQueueUserWorkItem(s_runPump, this, preferLocal: false);
                        return;
                    }
                    block = _output.TakePending();
                }
                await _stream.WriteAsync(block).ConfigureAwait(false);
                await _stream.FlushAsync().ConfigureAwait(false);
                lock (_writeLock)
                {
                    if (!_settled)
                    {
                        Volatile.Write(ref _queuedBytes, _queuedBytes - block.Length);
                        _budget.Add(-block.Length);
                    }
                }
                Volatile.Write(ref _progressMicros, Clock.CoarseMicros);
                WakeWaiters();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The read loop usually sees the same failure, but not while it is paused by back-pressure (it is not
            // reading then), so the connection is closed from here too; closing twice is harmless.
            if (!IsClosed) _ = AbortAsync(ex);
        }
        catch (Exception ex)
        {
            // Nothing else is expected from a stream write; the pump's callers discard its task, so say why here.
            RpcLog.ConnectionFault(Logger, Peer, ex);
            if (!IsClosed) _ = AbortAsync(ex);
        }
        // The queue is sent and closing, or the stream failed: this pump ends for good (it stays Running, so no
        // writer starts another one).
        lock (_writeLock)
        {
            // No frame can be appended any more (closing), or none will ever be sent (the stream failed).
            _writesCompleted = true;
            if (_state != 0) _output.Release();
        }
        _pumpDone.TrySetResult();
    }

    /// <summary>
    /// Closes from the sweeper's thread: a close fails or cancels every call in flight, which runs callers' and
    /// handlers' code, so it is queued to the thread pool (see <see cref="DeadlineSweeper"/>).
    /// </summary>
    protected void CloseOffSweeper() => DeadlineSweeper.Offload(static c => _ = c.CloseAsync(), this);

    /// <summary>
    /// Aborts from the sweeper's thread, on the thread pool like <see cref="CloseOffSweeper"/>. Once: the sweeps that
    /// come before the abort has run would otherwise queue it again.
    /// </summary>
    protected void AbortOffSweeper(Exception reason)
    {
        if (AbortQueued) return;
        AbortQueued = true;
        DeadlineSweeper.Offload(static s => _ = s.Connection.AbortAsync(s.Reason), (Connection: this, Reason: reason));
    }

    /// <summary>An abort was queued by <see cref="AbortOffSweeper"/>; read and written on the sweeper's thread only.</summary>
    protected bool AbortQueued { get; private set; }

    /// <summary>Stops accepting writes, sends everything queued, then closes the stream.</summary>
    public async Task CloseAsync(Exception? reason = null)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            bool start = false;
            lock (_writeLock)
            {
                _writesCompleted = true;
                if (_pump == PumpIdle)
                {
                    _pump = PumpRunning;
                    start = true;
                }
            }
            if (start) _ = PumpAsync();
            // A pump deferred by a thread that may never end its batch is taken over: what is queued goes out now.
            else StartDeferredPump();
        }
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        if (_started)
        {
            // Bounded: a peer that stopped reading must not hold the close forever.
            await Task.WhenAny(_pumpDone.Task, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }
        await DisposeStreamAsync().ConfigureAwait(false);
        lock (_writeLock)
        {
            // Whatever is still queued will never be sent: hand it back to the budget once; the pump stops counting.
            _settled = true;
            _budget.Add(-_queuedBytes);
            Volatile.Write(ref _queuedBytes, 0);
        }
        WakeWaiters();
        try
        {
            OnClosed(Volatile.Read(ref _abortReason) ?? reason);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    /// <summary>Closes at once, dropping anything queued.</summary>
    public async Task AbortAsync(Exception reason)
    {
        // Recorded before the stream goes away, so the read loop's I/O error does not replace the real reason.
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        await DisposeStreamAsync().ConfigureAwait(false);
        await CloseAsync(reason).ConfigureAwait(false);
    }

    private int _streamDisposed;
    private Exception? _abortReason;

    private async Task DisposeStreamAsync()
    {
        if (Interlocked.Exchange(ref _streamDisposed, 1) != 0) return;
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>Per-connection limits shared by client and server.</summary>
internal sealed record ConnectionLimits(int MaxFrameSize, int MaxMessageSize, long MaxQueuedWriteBytes);
