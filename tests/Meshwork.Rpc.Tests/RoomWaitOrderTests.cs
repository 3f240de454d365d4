using System.Buffers;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Waiting for room in a send queue is first come, first served (FrameConnection.WriteFrameWhenRoomAsync): a frame of
/// new work offered while another waits for room does not take the room that one waits for. The connection runs over
/// a stream whose writes the test holds and releases, so the moment room appears is the test's to choose.
/// </summary>
public class RoomWaitOrderTests
{
    [Fact]
    public async Task A_frame_offered_while_another_waits_for_room_goes_after_it_even_when_it_finds_room_first()
    {
        var stream = new HeldWriteStream();
        var budget = new BufferBudget(long.MaxValue);
        var connection = new BareConnection(stream, new ConnectionLimits(1 << 20, 1 << 20, MaxQueuedWriteBytes: 64), budget);
        connection.Start();

        // A frame larger than the limit, queued as a reply is (no limit): the pump takes it and blocks in the held write.
        stream.Hold();
        Assert.True(connection.TryWriteFrame(Frame(1), new byte[256]));
        await stream.WriteEntered.WaitAsync(Eventually.Timeout);

        // A request finds the queue over its limit and waits for room.
        var parked = connection.WriteFrameWhenRoomAsync(Frame(2), new byte[16], null, 0, CancellationToken.None).AsTask();
        await Eventually.TrueAsync(() => budget.WritersWaitingForRoom == 1, "the request waits for room");
        Assert.False(parked.IsCompleted);

        // The write completes on this thread (inside Release) and frees the queue; the waiting request is woken through the
        // thread pool, so this thread offers its own frame before the request can take the room. It must be refused
        // until the request is in, however often it asks.
        stream.Release();
        var deadline = DateTime.UtcNow + Eventually.Timeout;
        FrameWrite late;
        while ((late = connection.TryWriteFrameWithinLimit(Frame(3), new byte[16])) == FrameWrite.QueueFull)
        {
            Assert.True(DateTime.UtcNow < deadline, "the later frame was never let in");
            Thread.Yield();
        }
        Assert.Equal(FrameWrite.Written, late);
        Assert.Equal(FrameWrite.Written, await parked.WaitAsync(Eventually.Timeout));

        await Eventually.TrueAsync(() => stream.Frames().Count == 3, "the three frames are written");
        Assert.Equal([1UL, 2UL, 3UL], stream.Frames());
        Assert.Equal(0, budget.WritersWaitingForRoom);
        await connection.CloseAsync();
    }

    private static FrameHeader Frame(ulong id) => new() { Type = FrameType.Request, RequestId = id, Service = "S", Method = "M" };

    /// <summary>A connection that only sends: whatever arrives is ignored.</summary>
    private sealed class BareConnection(Stream stream, ConnectionLimits limits, BufferBudget budget)
        : FrameConnection(stream, "test-peer", limits, null, NullLogger.Instance, budget)
    {
        protected override void OnFrame(ref FrameHeader header, in ReadOnlySequence<byte> body)
        {
        }

        protected override void ReportProtocolError(ProtocolException error)
        {
        }

        protected override void OnClosed(Exception? reason)
        {
        }
    }

    /// <summary>
    /// Records what is written; while held, a write waits until <see cref="Release"/>, which completes it on the
    /// releasing thread. Reads never return data (they end when the stream is disposed).
    /// </summary>
    private sealed class HeldWriteStream : Stream
    {
        private readonly MemoryStream _written = new();
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _hold;
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a write is waiting on the hold.</summary>
        public Task WriteEntered => _entered.Task;

        // Continuations inline: the pump's write completes inside Release, on the test's thread.
        public void Hold() => _hold = new TaskCompletionSource();

        public void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

        /// <summary>Request ids of the frames written so far, in order.</summary>
        public List<ulong> Frames()
        {
            byte[] bytes;
            lock (_written) bytes = _written.ToArray();
            var buffer = new ReadOnlySequence<byte>(bytes);
            var ids = new List<ulong>();
            while (FrameCodec.TryRead(ref buffer, 1 << 20, null, out var header, out _)) ids.Add(header.RequestId);
            return ids;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _hold) is { } hold)
            {
                _entered.TrySetResult();
                await hold.Task;
            }
            lock (_written) _written.Write(buffer.Span);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _disposed.Task.WaitAsync(cancellationToken);
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }
}
