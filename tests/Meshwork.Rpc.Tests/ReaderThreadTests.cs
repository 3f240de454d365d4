using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;
using Meshwork.Testing;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Reader threads (RpcServerOptions.ReaderThreads, RpcClientOptions.ReaderThreads): a connection reads on a thread of
/// its own, keeps it, runs its quick code there, hands it on when code blocks it, goes over to the asynchronous model
/// when a write would block, and gives the thread back when it closes.
/// </summary>
public class ReaderThreadTests
{
    private static readonly Method<string, bool> OnReaderThread =
        new("Threads", "OnReaderThread", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<bool>());
    private static readonly Method<byte[], byte[]> BytesEcho = new("Threads", "Bytes", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());

    private static ServiceDefinition ThreadService() =>
        new ServiceDefinition("Threads")
            .AddUnary(OnReaderThread, (_, _) => new ValueTask<bool>(ReaderThreadStream.IsReaderThread))
            .AddUnary(BytesEcho, static (payload, _) => new ValueTask<byte[]>(payload));

    private static Task<ServerFixture> StartAsync(ManualResetEventSlim gate, TaskCompletionSource? blockStarted = null,
        Action<RpcServerOptions>? server = null, Action<RpcClientOptions>? client = null) =>
        ServerFixture.StartAsync(server, client, s =>
        {
            s.AddService(ThreadService());
            // Gate.Block blocks its thread until Gate.Open is called on the same connection.
            s.AddService(DispatchTests.GateService(gate, blockStarted ?? new TaskCompletionSource()));
        });

    [Fact]
    public async Task By_default_each_side_reads_on_a_thread_of_its_own_keeps_it_and_runs_quick_handlers_there()
    {
        using var gate = new ManualResetEventSlim();
        // Inline: every handler runs on the read loop, so the handler below tells where the loop runs.
        await using var f = await StartAsync(gate, server: o => o.HandlerDispatch = DispatchMode.Inline);
        for (int i = 0; i < 20; i++) Assert.Equal($"w{i}", await f.Channel.UnaryAsync(TestService.Echo, $"w{i}"));
        var (server, client) = (f.Server.Connections.Single(), f.Channel.CurrentConnections.Single());
        Assert.NotNull(server.ReaderThread);
        Assert.NotNull(client.ReaderThread);
        Assert.Equal(1, f.Server.ReaderThreads.InUse);
        // Warmed up (the first calls compile code, and a loop inside such a call for a sweep interval is taken over by a
        // new thread): from now on a new reader thread starts only for a takeover; the loop keeps its thread otherwise.
        var (serverThreads, serverTakeovers) = (server.ReaderThread.ThreadsStarted, server.Takeovers);
        var (clientThreads, clientTakeovers) = (client.ReaderThread.ThreadsStarted, client.Takeovers);
        for (int i = 0; i < 300; i++) Assert.Equal($"m{i}", await f.Channel.UnaryAsync(TestService.Echo, $"m{i}"));
        Assert.True(await f.Channel.UnaryAsync(OnReaderThread, "?"));
        Assert.True(server.ReaderThread.ThreadsStarted - serverThreads <= server.Takeovers - serverTakeovers,
            $"server: {server.ReaderThread.ThreadsStarted - serverThreads} threads started for {server.Takeovers - serverTakeovers} takeovers");
        Assert.True(client.ReaderThread.ThreadsStarted - clientThreads <= client.Takeovers - clientTakeovers,
            $"client: {client.ReaderThread.ThreadsStarted - clientThreads} threads started for {client.Takeovers - clientTakeovers} takeovers");
        Assert.False(server.ReaderThread.IsAsynchronous);
        Assert.False(client.ReaderThread.IsAsynchronous);
    }

    [Fact]
    public async Task Zero_reader_threads_keeps_both_sides_on_the_asynchronous_model()
    {
        using var gate = new ManualResetEventSlim();
        await using var f = await StartAsync(gate, server: o => { o.ReaderThreads = 0; o.HandlerDispatch = DispatchMode.Inline; }, client: o => o.ReaderThreads = 0);
        Assert.False(await f.Channel.UnaryAsync(OnReaderThread, "?"));
        Assert.Null(f.Server.Connections.Single().ReaderThread);
        Assert.Null(f.Channel.CurrentConnections.Single().ReaderThread);
        Assert.Equal(0, f.Server.ReaderThreads.InUse);
    }

    [Fact]
    public async Task Connections_beyond_the_budget_read_asynchronously_and_a_closed_connection_returns_its_thread()
    {
        using var gate = new ManualResetEventSlim();
        await using var f = await StartAsync(gate, server: o => o.ReaderThreads = 1, client: o => o.ReaderThreads = 0);
        Assert.Equal("a", await f.Channel.UnaryAsync(TestService.Echo, "a"));
        var first = Assert.Single(f.Server.Connections).ReaderThread;
        Assert.NotNull(first);
        await using (var second = RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0], new RpcClientOptions { ReaderThreads = 0 }))
        {
            Assert.Equal("b", await second.UnaryAsync(TestService.Echo, "b"));
            Assert.Equal(2, f.Server.Connections.Count);
            Assert.Single(f.Server.Connections, c => c.ReaderThread is null);
            Assert.Equal(1, f.Server.ReaderThreads.InUse);
        }
        await f.Channel.DisposeAsync();
        // Closing the socket wakes the thread blocked in its receive: the thread ends and its place is free again.
        await Eventually.TrueAsync(() => f.Server.ReaderThreads.InUse == 0 && first.ThreadsRunning == 0, "the closed connection's reader thread ended");
        await using var third = RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0], new RpcClientOptions { ReaderThreads = 0 });
        Assert.Equal("c", await third.UnaryAsync(TestService.Echo, "c"));
        Assert.NotNull(Assert.Single(f.Server.Connections).ReaderThread);
    }

    [Fact]
    public async Task A_handler_that_blocks_the_reader_thread_is_taken_over_by_a_new_reader_thread()
    {
        using var gate = new ManualResetEventSlim();
        var blockStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var f = await StartAsync(gate, blockStarted, server: o => o.HandlerDispatch = DispatchMode.Inline);
        await f.Channel.ConnectAsync();
        var blocked = f.Channel.UnaryAsync(DispatchTests.Block, "x").AsTask();
        await blockStarted.Task.WaitAsync(Eventually.Timeout);
        // Only a new thread reading the connection can see this call, which opens the gate.
        Assert.Equal("opened", await f.Channel.UnaryAsync(DispatchTests.Open, "x").AsTask().WaitAsync(Eventually.Timeout));
        Assert.Equal("passed", await blocked.WaitAsync(Eventually.Timeout));
        var server = f.Server.Connections.Single();
        Assert.True(server.Takeovers > 0);
        Assert.Equal(2, server.ReaderThread!.ThreadsStarted);
        // The blocked thread ended once its handler returned; the new one goes on serving.
        await Eventually.TrueAsync(() => server.ReaderThread.ThreadsRunning == 1, "the blocked reader thread ended");
        Assert.Equal("after", await f.Channel.UnaryAsync(TestService.Echo, "after"));
    }

    [Fact]
    public async Task A_peer_that_stops_reading_moves_the_connection_to_the_asynchronous_model_and_loses_nothing()
    {
        using var gate = new ManualResetEventSlim();
        await using var f = await StartAsync(gate);
        // 10 MiB: more than the server's kernel send buffer may grow to here (tcp_wmem's maximum, 4 MiB) plus its
        // MaxQueuedWriteBytes (1 MiB), so a reply write finds the send buffer full.
        const int Requests = 160, PayloadBytes = 64 * 1024;
        // A raw client with a small receive buffer that sends echo requests and reads nothing for now.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024 };
        await socket.ConnectAsync((IPEndPoint)f.Server.BoundEndpoints[0].EndPoint);
        var sending = Task.Run(async () =>
        {
            for (ulong id = 1; id <= Requests; id++) await socket.SendAsync(RawFrames.Request(BytesEcho, id, new byte[PayloadBytes]), SocketFlags.None);
        });
        await Eventually.TrueAsync(() => f.Server.Connections.SingleOrDefault()?.ReaderThread is { IsAsynchronous: true },
            "a reply write found the server's send buffer full");

        // Now read: every reply arrives, whole, in some order.
        var received = new HashSet<ulong>();
        var pending = new ArrayBufferWriter<byte>();
        var chunk = new byte[64 * 1024];
        var reading = Stopwatch.StartNew();
        while (received.Count < Requests && reading.Elapsed < Eventually.Timeout)
        {
            int n = await socket.ReceiveAsync(chunk, SocketFlags.None).WaitAsync(Eventually.Timeout);
            Assert.True(n > 0, "the server closed the connection");
            pending.Write(chunk.AsSpan(0, n));
            var buffer = new ReadOnlySequence<byte>(pending.WrittenMemory);
            while (FrameCodec.TryRead(ref buffer, FrameLayout.DefaultMaxFrameSize, null, out var header, out var body))
            {
                Assert.Equal(FrameType.Response, header.Type);
                Assert.Equal(StatusCode.OK, header.Status);
                Assert.True(body.Length > PayloadBytes, $"reply {header.RequestId} carries {body.Length} bytes");
                Assert.True(received.Add(header.RequestId), $"reply {header.RequestId} twice");
            }
            var rest = buffer.ToArray();
            pending.Clear();
            pending.Write(rest);
        }
        Assert.Equal(Requests, received.Count);
        await sending.WaitAsync(Eventually.Timeout);
    }

    [Fact]
    public async Task Stopping_the_server_wakes_a_reader_thread_blocked_in_its_receive()
    {
        using var gate = new ManualResetEventSlim();
        var f = await StartAsync(gate);
        await f.Channel.DisposeAsync();
        // A client that connects and then sends nothing, and never closes: the server's reader thread waits in recv.
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync((IPEndPoint)f.Server.BoundEndpoints[0].EndPoint);
        await Eventually.TrueAsync(() => f.Server.Connections.SingleOrDefault()?.ReaderThread is { ThreadsRunning: 1 }, "the server reads the idle connection");
        var reader = f.Server.Connections.Single().ReaderThread!;
        await f.Server.DisposeAsync().AsTask().WaitAsync(Eventually.Timeout);
        await Eventually.TrueAsync(() => reader.ThreadsRunning == 0 && f.Server.ReaderThreads.InUse == 0, "the reader thread ended");
    }

    [Fact]
    public async Task A_connect_on_the_reader_thread_path_to_a_silent_address_times_out_with_a_clear_error()
    {
        using var listener = await SilentListener.StartAsync();
        await using var channel = RpcChannel.ForAddress($"127.0.0.1:{listener.Port}", new RpcClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.ConnectAsync().WaitAsync(Eventually.Timeout));
        Assert.Equal(StatusCode.Unavailable, error.Status);
        Assert.Contains("timed out after 300 ms", error.Message, StringComparison.Ordinal);
    }
}
