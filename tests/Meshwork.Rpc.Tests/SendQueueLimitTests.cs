using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The send queue's limit on new work (FrameConnection.TryWriteFrameWithinLimit / WriteFrameWhenRoomAsync): a request
/// that waits for room and outlives its deadline is failed and never sent; server streams and one-way calls facing a
/// peer that reads nothing keep the queue within MaxQueuedWriteBytes plus one frame. Peers that do not read are raw
/// sockets with small buffers, so the kernel absorbs little. Runs with <see cref="SlowReaderTests"/>, alone: it loads
/// the machine and fills socket buffers.
/// </summary>
[Collection(nameof(SlowReaderTests))]
public class SendQueueLimitTests
{
    private const long KiB = 1024;
    private const int PayloadChars = 64 * 1024;

    /// <summary>Requests that must wait: same shape as <see cref="TestService.Echo"/>, another service, so the reading
    /// server can tell them apart from the fillers.</summary>
    private static readonly Method<string, string> Late = new("Late", "Probe", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private static readonly Method<string, string> Marker = new("Marker", "Last", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private static readonly Method<string, Empty> Notify = new("Flood", "Notify", CallKind.OneWay, MessageTypes.Plain<string>(), MessageTypes.Plain<Empty>());

    private static readonly Method<int, byte[]> Items = new("Flood", "Items", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<byte[]>());

    [Fact]
    public async Task A_request_waiting_for_room_past_its_deadline_fails_with_DeadlineExceeded_and_is_never_sent()
    {
        const long limit = 64 * KiB;
        const int fillers = 120; // 64 KiB each: 7.5 MiB, more than the kernel's buffers of one loopback connection take
        var gate = new GateCompressor();
        await using var server = RawServer.Start();
        await using var channel = RpcChannel.ForEndpoint(Transport.RpcEndpoint.Tcp(server.EndPoint), new RpcClientOptions
        {
            MaxQueuedWriteBytes = limit,
            WriteStallTimeout = TimeSpan.Zero, // the stall is the point here: the connection must stay
            KeepAliveInterval = TimeSpan.Zero,
            Compression = new CompressionOptions().Add(gate),
        });
        await channel.ConnectAsync();
        var peer = await server.AcceptAsync();

        // A new call checks for room before it takes a stream slot, so a request only meets a full queue at the append
        // when the queue filled while it was being encoded (callers racing). The late request is made to lose that race:
        // it passes the check while the queue is empty, and its encoding (the gate compressor) is held until the
        // fillers have filled the queue and the kernel's buffers. Its deadline leaves room for that setup.
        var late = Task.Run(() => channel.UnaryAsync(Late, "late", new CallOptions { Timeout = TimeSpan.FromSeconds(5), Compression = gate.Name }).AsTask());
        await gate.Entered.WaitAsync(Eventually.Timeout);

        // Fillers with long deadlines, of distinct sizes (so that any movement of the queue changes its byte count).
        using var end = new CancellationTokenSource();
        var calls = new List<Task<string>>();
        for (int i = 0; i < fillers; i++)
        {
            calls.Add(channel.UnaryAsync(TestService.Echo, new string('f', PayloadChars + i),
                new CallOptions { Timeout = TimeSpan.FromMinutes(5), CancellationToken = end.Token }).AsTask());
        }
        await WaitUntilStalledAsync(channel, limit);

        // The queue is full and cannot drain: the late request finds it full, waits for room, and its deadline ends it.
        Assert.False(late.IsCompleted, "the late request ended before the queue was full (the setup outlasted its deadline)");
        long waitingBefore = channel.Buffers.WritersWaitingForRoom;
        gate.Open();
        var failure = await Assert.ThrowsAnyAsync<RpcException>(() => late.WaitAsync(Eventually.Timeout));
        Assert.Equal(StatusCode.DeadlineExceeded, failure.Status);
        // Its frame stops waiting for room too, although there is still none: an ended call gives its turn up at once.
        await Eventually.TrueAsync(() => channel.Buffers.WritersWaitingForRoom == waitingBefore, "the ended request's frame stops waiting for room");
        Assert.True(channel.Buffers.BufferedBytes >= limit, "the queue drained meanwhile; the test no longer shows the frame giving up by itself");

        // Now the server reads everything: every filler arrives, then a marker sent after them, and never the late request.
        var reading = peer.ReadFramesAsync();
        await Eventually.TrueAsync(() => peer.Requests("Test") == fillers, $"the server reads all {fillers} fillers");
        var marker = channel.UnaryAsync(Marker, "m", new CallOptions { Timeout = TimeSpan.FromMinutes(1), CancellationToken = end.Token }).AsTask();
        await Eventually.TrueAsync(() => peer.Requests("Marker") == 1, "the server reads the marker sent after the fillers");
        Assert.True(peer.Requests("Late") == 0, "the server received the late request after its deadline had ended the call");
        await Eventually.TrueAsync(() => channel.Buffers.BufferedBytes == 0, "the client's queue empties");

        // The server never answers: the calls end cancelled.
        end.Cancel();
        foreach (var call in calls.Append(marker)) await Assert.ThrowsAnyAsync<RpcException>(() => call);
        peer.Dispose();
        await reading;
    }

    [Fact]
    public async Task Server_streams_to_a_client_that_does_not_read_keep_the_servers_queue_within_the_limit_plus_one_frame()
    {
        const long limit = 64 * KiB;
        const int streams = 64, itemBytes = 16 * 1024, window = 64;
        var allOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int open = 0, firstItems = 0;
        var item = new byte[itemBytes];
        async IAsyncEnumerable<byte[]> Produce(int count, ServerCallContext context)
        {
            // Every stream starts producing at the same moment, so that all of them race for the same queue.
            if (Interlocked.Increment(ref open) == streams) allOpen.TrySetResult();
            await allOpen.Task.WaitAsync(context.CancellationToken);
            for (int i = 0; i < count; i++)
            {
                if (i == 0) Interlocked.Increment(ref firstItems);
                yield return item;
            }
        }

        await using var server = new RpcServer(new RpcServerOptions
        {
            Endpoints = { "127.0.0.1:0" },
            MaxQueuedWriteBytes = limit,
            WriteStallTimeout = TimeSpan.Zero,
            DrainTimeout = TimeSpan.FromSeconds(1),
        }, name: "stream-flood");
        server.AddService(new ServiceDefinition("Flood").AddServerStreaming(Items, Produce));
        await server.StartAsync();

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024 };
        await client.ConnectAsync((IPEndPoint)server.BoundEndpoints[0].EndPoint);
        var requests = new ArrayBufferWriter<byte>();
        for (int id = 1; id <= streams; id++)
        {
            var header = new FrameHeader
            {
                Type = FrameType.Request, RequestId = (ulong)id, Service = "Flood", Method = "Items", Kind = CallKind.ServerStreaming, Window = window,
            };
            WriteFrame(requests, header, window, Items.RequestType);
        }
        await client.SendAsync(requests.WrittenMemory, SocketFlags.None); // and never reads

        await Eventually.TrueAsync(() => Volatile.Read(ref firstItems) == streams, "every stream offers its first item");
        await Eventually.TrueAsync(() => server.Buffers.BufferedBytes >= limit, "the server's queue reaches its limit");

        // The server's budget also holds what it read of the requests (unparsed input, then request bodies in flight).
        long frame = FrameLength(new FrameHeader { Type = FrameType.StreamData, RequestId = ulong.MaxValue }, item, Items.ResponseType);
        long bound = limit + frame + 2 * requests.WrittenCount;
        Assert.True(server.Buffers.PeakBufferedBytes <= bound,
            $"the server queued {server.Buffers.PeakBufferedBytes} bytes for a client that reads nothing; limit {limit}, one frame {frame}");
    }

    [Fact]
    public async Task One_way_calls_to_a_server_that_does_not_read_stay_within_the_limit_plus_one_frame()
    {
        const long limit = 64 * KiB;
        const int calls = 150; // 64 KiB each: 9.6 MiB started at once
        await using var server = RawServer.Start();
        await using var channel = RpcChannel.ForEndpoint(Transport.RpcEndpoint.Tcp(server.EndPoint), new RpcClientOptions
        {
            MaxQueuedWriteBytes = limit,
            WriteStallTimeout = TimeSpan.Zero,
            KeepAliveInterval = TimeSpan.Zero,
        });
        await channel.ConnectAsync();
        var peer = await server.AcceptAsync();

        var payload = new string('o', PayloadChars);
        using var stop = new CancellationTokenSource();
        var sends = new List<Task>();
        for (int i = 0; i < calls; i++) sends.Add(channel.OneWayAsync(Notify, payload, new CallOptions { CancellationToken = stop.Token }).AsTask());
        await Eventually.TrueAsync(() => channel.Buffers.BufferedBytes >= limit, "the client's queue reaches its limit");

        long frame = FrameLength(new FrameHeader { Type = FrameType.OneWay, Service = Notify.Service, Method = Notify.Name, Kind = CallKind.OneWay },
            payload, Notify.RequestType);
        Assert.True(channel.Buffers.PeakBufferedBytes <= limit + frame,
            $"the client queued {channel.Buffers.PeakBufferedBytes} bytes for a server that reads nothing; limit {limit}, one frame {frame}");
        Assert.Contains(sends, s => !s.IsCompleted); // the rest wait for room instead of queueing

        stop.Cancel();
        foreach (var send in sends)
        {
            try
            {
                await send;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException)
            {
                // Sends still waiting for room end cancelled.
            }
        }
        peer.Dispose();
    }

    [Fact]
    public async Task A_streaming_call_whose_opening_frame_waits_for_room_is_handed_out_only_once_that_frame_is_queued()
    {
        const long limit = 64 * KiB;
        const int fillers = 120;
        var gate = new GateSerializer();
        await using var server = RawServer.Start();
        await using var channel = RpcChannel.ForEndpoint(Transport.RpcEndpoint.Tcp(server.EndPoint), new RpcClientOptions
        {
            MaxQueuedWriteBytes = limit,
            WriteStallTimeout = TimeSpan.Zero,
            KeepAliveInterval = TimeSpan.Zero,
            Serializers = new SerializerRegistry(gate),
        });
        await channel.ConnectAsync();
        var peer = await server.AcceptAsync();

        // A client stream with no messages: once the call is handed out, its end of stream is queued at once (control
        // frames are never refused for room). Its opening frame is held while being encoded (the gate serializer holds
        // the encoding of its empty body) until the queue has filled, so that it finds no room at the append.
        using var end = new CancellationTokenSource();
        var streamed = Task.Run(() => channel.ClientStreamingAsync(Sum, NoItems(), new CallOptions { CancellationToken = end.Token }).AsTask());
        await gate.Entered.WaitAsync(Eventually.Timeout);
        var calls = new List<Task<string>>();
        for (int i = 0; i < fillers; i++)
        {
            calls.Add(channel.UnaryAsync(TestService.Echo, new string('f', PayloadChars + i),
                new CallOptions { Timeout = TimeSpan.FromMinutes(5), CancellationToken = end.Token }).AsTask());
        }
        await WaitUntilStalledAsync(channel, limit);
        long waitingBefore = channel.Buffers.WritersWaitingForRoom;
        long queuedBefore = channel.Buffers.BufferedBytes;

        // The opening frame now waits for room. Until it is queued, the call must not be handed out, or its end of
        // stream would be queued ahead of it (and the server would drop an end of stream for a call it does not know).
        gate.Open();
        await Eventually.TrueAsync(() => channel.Buffers.WritersWaitingForRoom == waitingBefore + 1, "the opening frame waits for room");
        Assert.Equal(queuedBefore, channel.Buffers.BufferedBytes); // nothing of the call (no end of stream) was queued

        // The server reads: the opening frame goes out, then the end of stream, in that order.
        var reading = peer.ReadFramesAsync();
        await Eventually.TrueAsync(() => peer.Seen(FrameType.StreamEnd).Count == 1, "the server reads the end of the stream");
        var opening = Assert.Single(peer.Seen(FrameType.Request), f => f.Service == Sum.Service);
        var streamEnd = Assert.Single(peer.Seen(FrameType.StreamEnd));
        Assert.Equal(opening.RequestId, streamEnd.RequestId);
        Assert.True(opening.Index < streamEnd.Index, $"the end of stream (frame {streamEnd.Index}) reached the server before the call's opening frame (frame {opening.Index})");

        end.Cancel();
        await Assert.ThrowsAnyAsync<RpcException>(() => streamed);
        foreach (var call in calls) await Assert.ThrowsAnyAsync<RpcException>(() => call);
        peer.Dispose();
        await reading;
    }

    private static readonly Method<int, long> Sum = new("Streams", "Sum", CallKind.ClientStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<long>());

#pragma warning disable CS1998 // an empty stream: nothing to await
    private static async IAsyncEnumerable<int> NoItems()
    {
        yield break;
    }
#pragma warning restore CS1998

    /// <summary>
    /// Waits until the client's queue is at its limit and nothing moves: the pump is blocked on a socket whose kernel
    /// buffers are full (had it room, it would write within microseconds and a waiting filler would take the freed
    /// space, changing the byte count; the fillers' sizes differ, so a move never leaves the count as it was).
    /// </summary>
    private static Task WaitUntilStalledAsync(RpcChannel channel, long limit)
    {
        long last = -1;
        int same = 0;
        return Eventually.TrueAsync(() =>
        {
            long now = channel.Buffers.BufferedBytes;
            same = now >= limit && now == last ? same + 1 : 0;
            last = now;
            return same >= 3;
        }, "the client's queue full and not moving");
    }

    private static void WriteFrame<T>(IBufferWriter<byte> writer, FrameHeader header, T message, MessageType<T> type)
    {
        using var body = MessageCodec.Encode(ref header, message, type, SerializerRegistry.CreateDefault().For(type), 0,
            new CompressionOptions(), FrameLayout.DefaultMaxFrameSize);
        FrameCodec.Write(writer, header, body.WrittenSpan);
    }

    /// <summary>Length of a frame as the sending side encodes it (largest request id, no timeout).</summary>
    private static long FrameLength<T>(FrameHeader header, T message, MessageType<T> type)
    {
        var frame = new ArrayBufferWriter<byte>();
        WriteFrame(frame, header, message, type);
        return frame.WrittenCount;
    }

    /// <summary>Holds the first encoding that reaches it until <see cref="Open"/>; later ones pass.</summary>
    private abstract class EncodingGate
    {
        private readonly ManualResetEventSlim _open = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when an encoding is waiting at the gate.</summary>
        public Task Entered => _entered.Task;

        public void Open() => _open.Set();

        protected void HoldFirst()
        {
            if (_entered.TrySetResult()) _open.Wait(Eventually.Timeout);
        }
    }

    /// <summary>An identity "compressor" that holds the encoding thread until <see cref="Open"/>: it lets a test put a
    /// request between the room check in front of new calls and the append.</summary>
    private sealed class GateCompressor : EncodingGate, ICompressor
    {
        public byte Id => 200;

        public string Name => "test-gate";

        public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
        {
            HoldFirst();
            destination.Write(source);
        }

        public void Decompress(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination, int maxSize) =>
            throw new NotSupportedException("the test server never answers");
    }

    /// <summary>MessagePack under another id, except that the first empty body (the opening frame of a client stream)
    /// is held until <see cref="Open"/>: it lets a test hold a streaming call between its room check and its append.</summary>
    private sealed class GateSerializer : EncodingGate, ISerializer
    {
        public byte Id => 201;

        public string Name => "test-gate";

        public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type)
        {
            if (typeof(T) == typeof(Empty)) HoldFirst();
            MessagePackRpcSerializer.Default.Serialize(writer, value, type);
        }

        public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type) => MessagePackRpcSerializer.Default.Deserialize(data, type);
    }

    /// <summary>A TCP listener on loopback with small buffers whose accepted peer reads nothing until told to.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly Socket _listener;

        private RawServer(Socket listener) => _listener = listener;

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public static RawServer Start()
        {
            // Accepted sockets inherit the small receive buffer, so the kernel takes little of what is sent to them.
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024 };
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(4);
            return new RawServer(listener);
        }

        public async Task<RawPeer> AcceptAsync() => new(await _listener.AcceptAsync().WaitAsync(Eventually.Timeout));

        public ValueTask DisposeAsync()
        {
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>An accepted connection that, once <see cref="ReadFramesAsync"/> runs, parses every frame with the
    /// project's <see cref="FrameCodec"/> and counts the requests per service.</summary>
    private sealed class RawPeer(Socket socket) : IDisposable
    {
        private readonly Dictionary<string, int> _requests = [];
        private readonly List<SeenFrame> _frames = [];

        public int Requests(string service)
        {
            lock (_requests) return _requests.GetValueOrDefault(service);
        }

        /// <summary>The frames of <paramref name="type"/> read so far, with their position among all frames read.</summary>
        public List<SeenFrame> Seen(FrameType type)
        {
            lock (_requests) return _frames.Where(f => f.Type == type).ToList();
        }

        public async Task ReadFramesAsync()
        {
            var buffer = new byte[1024 * 1024];
            int start = 0, end = 0;
            try
            {
                while (true)
                {
                    if (end == buffer.Length)
                    {
                        // Move the unparsed tail to the front, growing the buffer when a frame is larger than it.
                        if (start == 0) Array.Resize(ref buffer, buffer.Length * 2);
                        else
                        {
                            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                            end -= start;
                            start = 0;
                        }
                    }
                    int read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                    if (read == 0) return;
                    end += read;
                    var pending = new ReadOnlySequence<byte>(buffer, start, end - start);
                    while (FrameCodec.TryRead(ref pending, FrameLayout.DefaultMaxFrameSize, null, out var header, out _))
                    {
                        lock (_requests)
                        {
                            _frames.Add(new SeenFrame(_frames.Count, header.Type, header.RequestId, header.Service));
                            if (header.Type is FrameType.Request or FrameType.OneWay)
                            {
                                _requests[header.Service ?? ""] = _requests.GetValueOrDefault(header.Service ?? "") + 1;
                            }
                        }
                    }
                    start = end - (int)pending.Length;
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The test closed the connection.
            }
        }

        public void Dispose() => socket.Dispose();
    }
}

/// <summary>A frame read by <c>RawPeer</c>: its position among all frames read, and what identifies it.</summary>
internal sealed record SeenFrame(int Index, FrameType Type, ulong RequestId, string? Service);
