using System.Buffers;
using System.Net.Sockets;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// A flood of garbage connections: every protocol error is counted exactly, per kind, and the log gets at most one
/// line per (client address, kind) per interval, without stack traces, saying how many were suppressed.
/// </summary>
public class ProtocolErrorLoggingTests
{
    private const int ProtocolErrorEventId = 1001;

    private static readonly byte[] HttpGarbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();

    private static byte[] WrongVersionFrame()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameCodec.Write(w, new FrameHeader { Type = FrameType.Heartbeat }, default);
        var bytes = w.WrittenSpan.ToArray();
        bytes[2] = 9;
        return bytes;
    }

    /// <summary>Connects, sends the bytes, and reads until the server closes the connection.</summary>
    private static async Task SendGarbageAsync(System.Net.IPEndPoint server, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes);
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
    }

    private static async Task<(RpcServer Server, CapturedLog Log)> StartAsync(TimeSpan interval)
    {
        var log = new CapturedLog();
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, ProtocolErrorLogInterval = interval }, log, "garbage-test");
        server.AddService(TestService.Build(new TestService.State()));
        await server.StartAsync();
        return (server, log);
    }

    [Fact]
    public async Task Garbage_flood_is_counted_exactly_and_logged_once_per_address_and_kind()
    {
        var (server, log) = await StartAsync(TimeSpan.FromHours(1));
        await using var _ = server;
        var endpoint = (System.Net.IPEndPoint)server.BoundEndpoints[0].EndPoint;
        const int badMagic = 120, badVersion = 60;
        var version = WrongVersionFrame();
        var flood = new List<Task>();
        for (int i = 0; i < badMagic; i++) flood.Add(SendGarbageAsync(endpoint, HttpGarbage));
        for (int i = 0; i < badVersion; i++) flood.Add(SendGarbageAsync(endpoint, version));
        await Task.WhenAll(flood);
        await ErrorAndDeadlineTests.WaitUntil(() => server.ProtocolErrors.Total == badMagic + badVersion, 30_000);

        Assert.Equal(badMagic, server.ProtocolErrors[ProtocolErrorKind.BadMagic]);
        Assert.Equal(badVersion, server.ProtocolErrors[ProtocolErrorKind.UnsupportedVersion]);
        Assert.Equal(badMagic + badVersion, server.ProtocolErrors.Snapshot().Values.Sum());
        var lines = log.WithEventId(ProtocolErrorEventId);
        Assert.Equal(2, lines.Count); // one per kind: every connection came from 127.0.0.1
        Assert.Single(lines, l => Equals(l.Values["Kind"], ProtocolErrorKind.BadMagic));
        Assert.Single(lines, l => Equals(l.Values["Kind"], ProtocolErrorKind.UnsupportedVersion));
        Assert.All(log.Entries, e => Assert.Null(e.Exception));
        Assert.All(lines, l => Assert.Equal("127.0.0.1", l.Values["Source"]));

        // The server still serves a well-behaved client.
        await using var channel = Client.RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        Assert.Equal("fine", await channel.UnaryAsync(TestService.Echo, "fine"));
    }

    [Fact]
    public async Task The_next_line_after_the_interval_reports_how_many_were_suppressed()
    {
        var (server, log) = await StartAsync(TimeSpan.FromMilliseconds(300));
        await using var _ = server;
        var endpoint = (System.Net.IPEndPoint)server.BoundEndpoints[0].EndPoint;
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => SendGarbageAsync(endpoint, HttpGarbage)));
        await ErrorAndDeadlineTests.WaitUntil(() => server.ProtocolErrors[ProtocolErrorKind.BadMagic] == 40);

        // One garbage connection at a time until the interval has passed and a second line appears.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (log.WithEventId(ProtocolErrorEventId).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no second line within 60 s");
            long before = server.ProtocolErrors[ProtocolErrorKind.BadMagic];
            await SendGarbageAsync(endpoint, HttpGarbage);
            await ErrorAndDeadlineTests.WaitUntil(() => server.ProtocolErrors[ProtocolErrorKind.BadMagic] == before + 1);
        }

        var lines = log.WithEventId(ProtocolErrorEventId);
        Assert.Equal(2, lines.Count);
        Assert.Equal(0L, lines[0].Values["Suppressed"]);
        Assert.True((long)lines[1].Values["Suppressed"]! >= 39);
        // Every error is either a line or counted as suppressed in the next line: nothing is lost or counted twice.
        Assert.Equal(server.ProtocolErrors[ProtocolErrorKind.BadMagic], lines.Sum(l => 1 + (long)l.Values["Suppressed"]!));
        Assert.Contains("not logged since the previous line", lines[1].Message);
    }
}
