using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Runs alone: it measures the process's memory, which tests running beside it would also move, and it loads the
/// machine, which would distort their timing.
/// </summary>
[CollectionDefinition(nameof(SlowReaderTests), DisableParallelization = true)]
public sealed class SlowReaderTestsCollection;

/// <summary>
/// Peers that send and never read (issue 11 §6): the server keeps what it buffers for them within its documented
/// bound and keeps answering a client that reads; it cuts off a peer that reads nothing past the stall timeout; and a
/// client facing a server that never reads waits instead of queueing.
/// </summary>
[Collection(nameof(SlowReaderTests))]
public class SlowReaderTests
{
    private const int PayloadBytes = 64 * 1024;
    private const long KiB = 1024, MiB = 1024 * 1024;

    /// <summary>Echoes bytes: 64 KiB payloads stay off the large-object heap (a 64 Ki-char string would not), so the
    /// process memory measured is the server's buffering rather than garbage the test itself makes.</summary>
    private static readonly Method<byte[], byte[]> BytesEcho =
        new("Bytes", "Echo", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());

    private static void AddBytesEcho(RpcServer server) =>
        server.AddService(new ServiceDefinition("Bytes").AddUnary(BytesEcho, static (payload, _) => new ValueTask<byte[]>(payload)));

    private const int RequestsPerReader = 64; // 4 MiB each

    /// <summary>Echo request frames 1..64 carrying 64 KiB each, built once and sent by every reader (ids only need to be
    /// unique per connection).</summary>
    private static readonly byte[][] EchoFrames =
        Enumerable.Range(1, RequestsPerReader).Select(id => RawFrames.Request(BytesEcho, (ulong)id, new byte[PayloadBytes])).ToArray();

    /// <summary>Connects with small socket buffers (so that the kernel absorbs little and the test stays fast) and
    /// sends echo requests, never reading, until a send has not completed for two seconds or the cap is reached.</summary>
    private static async Task<Socket> StartSlowReaderAsync(IPEndPoint server, List<Task> senders)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveBufferSize = 4 * 1024,
            SendBufferSize = 16 * 1024,
        };
        await socket.ConnectAsync(server);
        senders.Add(Task.Run(async () =>
        {
            try
            {
                foreach (var frame in EchoFrames)
                {
                    var send = socket.SendAsync(frame.AsMemory(), SocketFlags.None).AsTask();
                    if (await Task.WhenAny(send, Task.Delay(2000)) != send)
                    {
                        _ = send.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                        return; // blocked: the server stopped reading this connection
                    }
                    await send;
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The server closed the connection (write-stall timeout).
            }
        }));
        return socket;
    }

    private static void CollectGarbage()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    [Fact]
    public async Task Hundreds_of_slow_readers_stay_within_the_servers_budget_while_a_reading_client_is_answered()
    {
        const int readers = 200;
        // 64 requests of 64 KiB each: 800 MiB in all if the server buffered everything.
        const long budget = 16 * MiB, perConnection = 256 * KiB;
        await using var f = await ServerFixture.StartAsync(server: o =>
        {
            o.MaxBufferedBytes = budget;
            o.MaxQueuedWriteBytes = perConnection;
            o.WriteStallTimeout = TimeSpan.Zero; // this test is about the bound, not the cut-off
            o.TrimMemoryAfterBurst = false;
        }, client: o => o.DefaultTimeout = TimeSpan.FromSeconds(60), configure: AddBytesEcho);
        var endpoint = (IPEndPoint)f.Server.BoundEndpoints[0].EndPoint;
        Assert.Equal("warm", await f.Channel.UnaryAsync(TestService.Echo, "warm"));
        CollectGarbage();
        long rssBefore = Environment.WorkingSet;

        using var stop = new CancellationTokenSource();
        long rssPeak = rssBefore, goodAnswers = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                rssPeak = Math.Max(rssPeak, Environment.WorkingSet);
                await Task.Delay(20);
            }
        });
        var goodClient = Task.Run(async () =>
        {
            var message = new string('g', 1024);
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(message, await f.Channel.UnaryAsync(TestService.Echo, message));
                Interlocked.Increment(ref goodAnswers);
            }
        });

        var senders = new List<Task>();
        var sockets = new List<Socket>();
        for (int i = 0; i < readers; i++) sockets.Add(await StartSlowReaderAsync(endpoint, senders));
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromMinutes(3));

        // Every slow reader is now blocked by TCP; the reading client must still be answered.
        long answeredBefore = Interlocked.Read(ref goodAnswers);
        await ErrorAndDeadlineTests.WaitUntil(() => Interlocked.Read(ref goodAnswers) >= answeredBefore + 50, 60_000);
        stop.Cancel();
        await goodClient;
        await sampler;

        var buffers = f.Server.Buffers;
        Assert.True(buffers.ReadPauses > 0, "the server never stopped reading a slow reader");
        // Documented bound: the budget, plus at most one request being read and one reply per connection that the
        // server admitted before the budget ran out.
        long frame = EchoFrames[0].Length;
        long bound = budget + readers * (2 * frame + 64 * KiB);
        Assert.True(buffers.PeakBufferedBytes <= bound, $"server held {buffers.PeakBufferedBytes} bytes, bound {bound}");
        // Process memory, generously: buffering everything the readers sent would be ~800 MB (plus the GC's slack).
        long growth = rssPeak - rssBefore;
        Assert.True(growth < 400 * MiB, $"process memory grew by {growth / MiB} MiB");

        foreach (var s in sockets) s.Dispose();
        // Closing the connections hands everything back.
        await ErrorAndDeadlineTests.WaitUntil(() => buffers.BufferedBytes == 0 && f.Server.ConnectionCount <= 1, 60_000);
    }

    [Fact]
    public async Task A_client_that_reads_nothing_is_closed_after_the_write_stall_timeout_with_a_counted_rate_limited_line()
    {
        const int readers = 20;
        var log = new CapturedLog();
        var options = new RpcServerOptions
        {
            Endpoints = { "127.0.0.1:0" },
            MaxQueuedWriteBytes = 64 * KiB,
            WriteStallTimeout = TimeSpan.FromSeconds(1),
            ProtocolErrorLogInterval = TimeSpan.FromHours(1),
        };
        await using var server = new RpcServer(options, log, "stall-test");
        AddBytesEcho(server);
        await server.StartAsync();
        var endpoint = (IPEndPoint)server.BoundEndpoints[0].EndPoint;

        var senders = new List<Task>();
        var sockets = new List<Socket>();
        for (int i = 0; i < readers; i++) sockets.Add(await StartSlowReaderAsync(endpoint, senders));
        await ErrorAndDeadlineTests.WaitUntil(() => server.Buffers.StalledConnectionsClosed == readers, 60_000);
        await ErrorAndDeadlineTests.WaitUntil(() => server.ConnectionCount == 0 && server.Buffers.BufferedBytes == 0, 30_000);

        var lines = log.WithEventId(1016);
        Assert.Single(lines); // all 20 came from 127.0.0.1 within the interval
        Assert.Equal(LogLevelWarning, lines[0].Level);
        Assert.Null(lines[0].Exception);
        foreach (var s in sockets) s.Dispose();
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private const Microsoft.Extensions.Logging.LogLevel LogLevelWarning = Microsoft.Extensions.Logging.LogLevel.Warning;

    [Fact]
    public async Task A_client_facing_a_server_that_never_reads_waits_instead_of_queueing_and_drops_the_stalled_connection()
    {
        const long limit = 128 * KiB;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024 };
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var accepted = new List<Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            try
            {
                while (true) accepted.Add(await listener.AcceptAsync()); // accepts and never reads
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });

        var channel = RpcChannel.ForEndpoint(Transport.RpcEndpoint.Tcp((IPEndPoint)listener.LocalEndPoint!), new RpcClientOptions
        {
            MaxQueuedWriteBytes = limit,
            WriteStallTimeout = TimeSpan.FromSeconds(2),
            KeepAliveInterval = TimeSpan.Zero,
        });
        var payload = new string('c', PayloadBytes);
        var calls = new List<Task<string>>();
        for (int i = 0; i < 150; i++) calls.Add(channel.UnaryAsync(TestService.Echo, payload, new CallOptions { Timeout = TimeSpan.FromMinutes(2) }).AsTask());

        await ErrorAndDeadlineTests.WaitUntil(() => channel.Buffers.StalledConnectionsClosed >= 1, 60_000);
        // 150 calls of 64 KiB (9.6 MiB) were started, many at the same moment; a request is only appended while the
        // queue is under its limit, so the connection never queued more than its limit plus one frame.
        long frame = EchoFrames[0].Length;
        Assert.True(channel.Buffers.PeakBufferedBytes <= limit + frame, $"client queued {channel.Buffers.PeakBufferedBytes} bytes, limit {limit}");

        await channel.DisposeAsync();
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAnyAsync<RpcException>(() => call);
            Assert.Contains(ex.Status, new[] { StatusCode.Unavailable, StatusCode.Cancelled, StatusCode.DeadlineExceeded });
        }
        Assert.Equal(0, channel.Buffers.BufferedBytes);
        listener.Dispose();
        await acceptLoop;
        foreach (var s in accepted) s.Dispose();
    }
}
