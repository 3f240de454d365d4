using System.Buffers;
using System.IO.Pipelines;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Protocol;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// One multiplexed connection: a read loop that parses frames and hands them to <see cref="OnFrame"/>, and a write
/// path where any thread appends whole frames to an in-memory pipe under a short lock while a single pump copies
/// everything queued to the socket. The pump is what coalesces many frames into one write.
/// </summary>
internal abstract class FrameConnection
{
    private const int CoalesceBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly Pipe _output;
    private readonly object _writeLock = new();
    private readonly Utf8StringCache? _names;
    private readonly long _maxQueuedBytes;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queuedBytes;
    private int _state; // 0 open, 1 closing (no new writes), 2 closed
    private Task? _writeLoop;

    protected FrameConnection(Stream stream, string peer, ConnectionLimits limits, Utf8StringCache? names, ILogger logger)
    {
        _stream = stream;
        Peer = peer;
        Limits = limits;
        _names = names;
        Logger = logger;
        _maxQueuedBytes = limits.MaxQueuedWriteBytes;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 16 * 1024,
            readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        LastActivityMicros = Clock.NowMicros;
    }

    public string Peer { get; }

    public ConnectionLimits Limits { get; }

    protected ILogger Logger { get; }

    /// <summary>Last time a frame arrived, for idle and keep-alive decisions.</summary>
    public long LastActivityMicros;

    public bool IsClosed => Volatile.Read(ref _state) != 0;

    /// <summary>Completes when both loops have ended and the stream is disposed.</summary>
    public Task Closed => _closed.Task;

    public void Start()
    {
        _writeLoop = WriteLoopAsync();
        _ = ReadLoopAsync();
    }

    /// <summary>Handles one frame. The body is only valid until this returns; decode or copy it.</summary>
    protected abstract void OnFrame(ref FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>Counts and logs (rate-limited, without a stack trace) a protocol error the peer made; the connection then closes.</summary>
    protected abstract void ReportProtocolError(ProtocolException error);

    /// <summary>Called once when the connection is gone, with the reason (null = orderly close).</summary>
    protected abstract void OnClosed(Exception? reason);

    /// <summary>Appends a frame to the send queue. Returns false if the connection no longer accepts writes.</summary>
    public bool TryWriteFrame(in FrameHeader header, ReadOnlySpan<byte> body)
    {
        lock (_writeLock)
        {
            if (_state != 0) return false;
            var writer = _output.Writer;
            long before = writer.UnflushedBytes;
            FrameCodec.Write(writer, header, body);
            long added = writer.UnflushedBytes - before;
            if (Interlocked.Add(ref _queuedBytes, added) > _maxQueuedBytes)
            {
                _ = AbortAsync(new RpcException(StatusCode.ResourceExhausted,
                    $"peer {Peer} is not reading: more than {_maxQueuedBytes} bytes queued for sending (MaxQueuedWriteBytes)"));
                return false;
            }
            var flush = writer.FlushAsync();
            // The pipe never pauses the writer (pauseWriterThreshold 0), so the flush completes synchronously.
            if (flush.IsCompleted) flush.GetAwaiter().GetResult();
            else flush.AsTask().GetAwaiter().GetResult();
        }
        return true;
    }

    private async Task ReadLoopAsync()
    {
        Exception? reason = null;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (FrameCodec.TryRead(ref buffer, Limits.MaxFrameSize, _names, out var header, out var body))
                    {
                        LastActivityMicros = Clock.NowMicros;
                        OnFrame(ref header, body);
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled)
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
        await _input.CompleteAsync().ConfigureAwait(false);
        await CloseAsync(reason).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _output.Reader;
        byte[]? coalesce = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                long length = buffer.Length;
                if (length > 0)
                {
                    if (buffer.IsSingleSegment)
                    {
                        await _stream.WriteAsync(buffer.First).ConfigureAwait(false);
                    }
                    else if (length <= CoalesceBytes)
                    {
                        coalesce ??= new byte[CoalesceBytes];
                        buffer.CopyTo(coalesce);
                        await _stream.WriteAsync(coalesce.AsMemory(0, (int)length)).ConfigureAwait(false);
                    }
                    else
                    {
                        foreach (var segment in buffer)
                        {
                            await _stream.WriteAsync(segment).ConfigureAwait(false);
                        }
                    }
                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                reader.AdvanceTo(buffer.End);
                Interlocked.Add(ref _queuedBytes, -length);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The read loop sees the same failure and reports it.
        }
        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Stops accepting writes, sends everything queued, then closes the stream.</summary>
    public async Task CloseAsync(Exception? reason = null)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            lock (_writeLock)
            {
                _output.Writer.Complete();
            }
        }
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        if (_writeLoop is not null)
        {
            // Bounded: a peer that stopped reading must not hold the close forever.
            await Task.WhenAny(_writeLoop, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }
        await DisposeStreamAsync().ConfigureAwait(false);
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
