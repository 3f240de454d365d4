using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Meshwork.Rpc.Transport;

/// <summary>
/// A plaintext socket read by a thread of its own, blocking in the socket's receive (see
/// <see cref="Server.RpcServerOptions.ReaderThreads"/>). The asynchronous socket model wakes the runtime's epoll thread
/// for every readable socket, which queues a thread-pool work item, whose worker spins before it sleeps again; a thread
/// blocked in <c>recv</c> is woken by the kernel directly. On this project's machine that halved the CPU time of a
/// small call (BENCHMARKS.md, "Fifth pass").
/// <para>
/// The connection's read loop runs on that thread: the first read of a loop that is not on a reader thread starts one
/// (a loop's first read, and the first read of a loop that took over from a blocked one), and the read's completion
/// runs the loop's continuation there, so every later read is a plain blocking call on the same thread.
/// </para>
/// <para>
/// Writes must never block that thread: a peer that stopped reading until we read (both sides sending large messages)
/// would wait forever. Each write sends what the socket takes at once (<c>MSG_DONTWAIT</c>); when the kernel's send
/// buffer is full, the connection switches to the asynchronous model for good, for reads and writes (a socket that has
/// had one asynchronous operation is non-blocking from then on, so its blocking reads would only be emulated).
/// </para>
/// </summary>
internal sealed partial class ReaderThreadStream : Stream
{
    [ThreadStatic] private static bool t_isReaderThread;

    private readonly Socket _socket;
    private readonly NetworkStream _inner;
    private readonly ReaderThreadBudget _budget;
    private int _threadsStarted;
    private int _threadsRunning;
    private volatile bool _asynchronous;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>, whose socket must not have had an asynchronous operation and which it
    /// disposes, and holds one of <paramref name="budget"/>'s threads until disposed.</summary>
    public ReaderThreadStream(NetworkStream inner, ReaderThreadBudget budget)
    {
        _socket = inner.Socket;
        _inner = inner;
        _budget = budget;
    }

    /// <summary>True on a thread started by this class to read a connection (code run by a read loop there may block only that connection).</summary>
    public static bool IsReaderThread => t_isReaderThread;

    /// <summary>Reader threads started for this connection: one, plus one per takeover of a blocked loop or per read loop that resumed elsewhere after a pause.</summary>
    public int ThreadsStarted => Volatile.Read(ref _threadsStarted);

    /// <summary>Reader threads of this connection that have not ended: a thread ends when its read loop ends, or yields to
    /// a truly asynchronous wait (a pause for back-pressure, the asynchronous model) and goes on elsewhere.</summary>
    public int ThreadsRunning => Volatile.Read(ref _threadsRunning);

    /// <summary>True once a write found the send buffer full and the connection went over to the asynchronous model.</summary>
    public bool IsAsynchronous => _asynchronous;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_asynchronous) return _inner.ReadAsync(buffer, cancellationToken);
        if (!t_isReaderThread) return ReadOnNewThreadAsync(buffer);
        try
        {
            return new ValueTask<int>(_inner.Read(buffer.Span));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<int>(ex);
        }
    }

    /// <summary>
    /// Starts a reader thread for this read. The read's completion runs the awaiting read loop's continuation on that
    /// thread, so that the loop goes on there and reads from there on; the thread waits for the continuation to be
    /// registered first (<see cref="FirstRead"/>), else a read that completes at once would leave the loop on the
    /// calling thread, whose next read would start yet another thread.
    /// </summary>
    private ValueTask<int> ReadOnNewThreadAsync(Memory<byte> buffer)
    {
        var read = new FirstRead();
        Interlocked.Increment(ref _threadsStarted);
        Interlocked.Increment(ref _threadsRunning);
        var thread = new Thread(static state =>
        {
            var (stream, buffer, read) = ((ReaderThreadStream, Memory<byte>, FirstRead))state!;
            t_isReaderThread = true;
            try
            {
                read.Complete(stream._inner, buffer);
            }
            finally
            {
                stream.OnThreadEnded();
            }
        })
        {
            IsBackground = true,
            Name = "meshwork reader",
        };
        thread.UnsafeStart((this, buffer, read));
        return new ValueTask<int>(read, 0);
    }

    /// <summary>The first read of a reader thread, pending until its continuation is registered and the read is done.</summary>
    private sealed class FirstRead : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core; // continuations run on the completing thread: the reader thread
        private readonly ManualResetEventSlim _awaited = new();

        /// <summary>Reads, waits until the read loop awaits the result, and hands it over: the loop runs on from here.</summary>
        public void Complete(NetworkStream stream, Memory<byte> buffer)
        {
            int count;
            try
            {
                count = stream.Read(buffer.Span);
            }
            catch (Exception ex)
            {
                _awaited.Wait();
                _core.SetException(ex);
                return;
            }
            _awaited.Wait();
            _core.SetResult(count);
        }

        public int GetResult(short token)
        {
            _awaited.Dispose();
            return _core.GetResult(token);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            _core.OnCompleted(continuation, state, token, flags);
            _awaited.Set();
        }
    }

    private void OnThreadEnded() => Interlocked.Decrement(ref _threadsRunning);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_asynchronous)
        {
            int sent = SendWithoutWaiting(buffer.Span);
            if (sent == buffer.Length) return default;
            buffer = buffer[sent..];
            _asynchronous = true;
        }
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    /// <summary>Sends what the socket takes without waiting; returns the bytes sent (fewer than asked when its send buffer is full).</summary>
    private unsafe int SendWithoutWaiting(ReadOnlySpan<byte> data)
    {
        const int MsgDontWait = 0x40, MsgNoSignal = 0x4000, EIntr = 4, EAgain = 11;
        var handle = _socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int total = 0;
            fixed (byte* start = data)
            {
                while (total < data.Length)
                {
                    nint sent = Send(handle.DangerousGetHandle(), start + total, data.Length - total, MsgDontWait | MsgNoSignal);
                    if (sent >= 0)
                    {
                        total += (int)sent;
                        continue;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr) continue;
                    if (errno == EAgain) break;
                    throw new IOException($"sending on the connection failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)})");
                }
            }
            return total;
        }
        catch (ObjectDisposedException ex)
        {
            throw new IOException("the connection's socket was closed", ex);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(nint socket, byte* buffer, nint length, int flags);

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // Closing the socket also wakes a reader thread blocked in its receive (the runtime shuts a blocking socket down before closing it).
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            _budget.Release();
        }
        base.Dispose(disposing);
    }
}
