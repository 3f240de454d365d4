using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Meshwork.Testing;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// A read of many frames does not hold everything it causes to be sent until its end: what the first 16 frames queued
/// leaves before the 17th is handled, so the peer can start on it meanwhile; but only when the rest of the read is at
/// least as long as those frames were, so a read of 17 to 31 frames still costs one write.
/// </summary>
public class ReadFlushTests
{
    private static readonly Method<int, int> Numbered = new("Flush", "Numbered", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());

    [Fact]
    public async Task The_replies_to_the_first_16_requests_of_a_read_are_sent_before_the_17th_is_handled()
    {
        const int Requests = 40;
        await using var server = await RecordingServer.StartAsync(Requests);
        // What the server's connection had queued for sending when each handler ran (index = request number).
        var queuedWhenHandled = server.QueuedWhenHandled;

        // The batch is sent in one write, but the server may still read it in parts (the first part of a read can
        // arrive alone), and a first call that compiles code for longer than a sweep interval has its read loop taken
        // over (the old loop then holds the pump until its handler returns): batches are sent until one whose first 16
        // requests the server handled in one read, without a takeover.
        for (int batch = 0; batch < 20; batch++)
        {
            if (!await server.RunBatchAsync(batch)) continue;

            long reply = queuedWhenHandled[2];
            // Each reply queued after the previous one, nothing sent before the 16th was handled: one read.
            if (reply == 0 || queuedWhenHandled[16] != 15 * reply) continue;
            // The replies of the first 16 were sent before the 17th was handled, while the read went on.
            Assert.Equal(0L, queuedWhenHandled[17]);
            Assert.True(queuedWhenHandled[20] <= 3 * reply, $"{queuedWhenHandled[20]} bytes queued when the 20th request was handled");
            return;
        }
        Assert.Fail("the server never read the first 16 requests of a batch in one read");
    }

    [Fact]
    public async Task A_read_of_20_frames_is_answered_in_one_write_not_two()
    {
        const int Requests = 20;
        await using var server = await RecordingServer.StartAsync(Requests);
        var queuedWhenHandled = server.QueuedWhenHandled;

        // After the 16th frame only 4 are left of the read, fewer than the 16 just handled: the replies wait for the
        // end of the read and all 20 leave in one write. A write after the 16th would empty the send queue, and the
        // handlers of the 17th to 20th would see it so. A batch the server read in parts, or whose read loop was taken
        // over, shows a write too (at the end of each part), so batches are sent until one the server read whole; a
        // server that writes after every 16th frame regardless never answers a batch of 20 in one write.
        string last = "";
        for (int batch = 0; batch < 20; batch++)
        {
            if (!await server.RunBatchAsync(batch)) continue;
            // Each handler saw every earlier reply of the batch still queued: nothing was written until the read ended.
            bool oneWrite = queuedWhenHandled[2] > 0;
            for (int n = 3; n <= Requests; n++) oneWrite &= queuedWhenHandled[n] > queuedWhenHandled[n - 1];
            if (oneWrite) return;
            last = string.Join(", ", queuedWhenHandled.Skip(1));
        }
        Assert.Fail($"no batch of {Requests} requests was answered in one write; bytes queued as each request of the last batch was handled: {last}");
    }

    /// <summary>
    /// A server whose handlers run inline on the read loop, in the order of the frames, and record what the connection
    /// had queued for sending when each ran; and a raw socket to it that sends numbered requests in one write.
    /// </summary>
    private sealed class RecordingServer : IAsyncDisposable
    {
        private readonly ServerFixture _fixture;
        private readonly Socket _socket;
        private readonly ReplyReader _reading;

        private RecordingServer(ServerFixture fixture, Socket socket, long[] queuedWhenHandled)
        {
            _fixture = fixture;
            _socket = socket;
            _reading = new ReplyReader(socket);
            QueuedWhenHandled = queuedWhenHandled;
        }

        /// <summary>Bytes queued for sending when request n was handled, at index n (1 to the batch size).</summary>
        public long[] QueuedWhenHandled { get; }

        /// <summary>Starts the server and connects the socket; batches hold <paramref name="requests"/> requests.</summary>
        public static async Task<RecordingServer> StartAsync(int requests)
        {
            var queuedWhenHandled = new long[requests + 1];
            RpcServer? server = null;
            var service = new ServiceDefinition("Flush").AddUnary(Numbered, (n, _) =>
            {
                queuedWhenHandled[n] = server!.Connections.Single().QueuedBytes;
                return new ValueTask<int>(n);
            });
            var fixture = await ServerFixture.StartAsync(o => o.HandlerDispatch = DispatchMode.Inline, configure: s =>
            {
                server = s;
                s.AddService(service);
            });
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync((IPEndPoint)fixture.Server.BoundEndpoints[0].EndPoint);
            return new RecordingServer(fixture, socket, queuedWhenHandled);
        }

        /// <summary>Sends the batch's requests in one write and reads every reply; false if the read loop was taken
        /// over meanwhile (its handlers then ran on two loops, and the record tells nothing about one read).</summary>
        public async Task<bool> RunBatchAsync(int batch)
        {
            Array.Clear(QueuedWhenHandled);
            int count = QueuedWhenHandled.Length - 1;
            var requests = new ArrayBufferWriter<byte>();
            for (int n = 1; n <= count; n++) requests.Write(RawFrames.Request(Numbered, (ulong)(batch * 100 + n), n));
            int takeovers = _fixture.Server.Connections.SingleOrDefault()?.Takeovers ?? 0;
            await _socket.SendAsync(requests.WrittenMemory, SocketFlags.None);
            await _reading.ReadRepliesAsync(count);
            return _fixture.Server.Connections.Single().Takeovers == takeovers;
        }

        /// <summary>Closes the socket, then the server.</summary>
        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            await _fixture.DisposeAsync();
        }
    }

    /// <summary>Reads response frames from a raw socket, keeping what is left of a frame for the next read.</summary>
    private sealed class ReplyReader(Socket socket)
    {
        private readonly ArrayBufferWriter<byte> _pending = new();
        private readonly byte[] _chunk = new byte[16 * 1024];

        public async Task ReadRepliesAsync(int count)
        {
            var answered = new HashSet<ulong>();
            while (answered.Count < count)
            {
                int read = await socket.ReceiveAsync(_chunk, SocketFlags.None).WaitAsync(Eventually.Timeout);
                Assert.True(read > 0, "the server closed the connection");
                _pending.Write(_chunk.AsSpan(0, read));
                var buffer = new ReadOnlySequence<byte>(_pending.WrittenMemory);
                while (FrameCodec.TryRead(ref buffer, FrameLayout.DefaultMaxFrameSize, null, out var header, out _))
                {
                    Assert.Equal(StatusCode.OK, header.Status);
                    Assert.True(answered.Add(header.RequestId), $"reply {header.RequestId} twice");
                }
                var rest = buffer.ToArray();
                _pending.Clear();
                _pending.Write(rest);
            }
        }
    }
}
