using System.Net.Sockets;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Server;

/// <summary>
/// A TARS client that sends requests and never reads the replies: the server stops taking its requests once what waits
/// to be written to it passes <see cref="TarsServerOptions.MaxQueuedWriteBytes"/> (the calls hold their slots), and
/// closes the connection once its write has made no progress for <see cref="TarsServerOptions.WriteStallTimeout"/>.
/// </summary>
public sealed class SlowReaderTests
{
    // echo("hello") as the Node client sends it (RawFrameTests): 63 bytes, a 28-byte reply.
    private static readonly byte[] EchoHello = Hex.Bytes(
        "0000003f10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66046563686f7d000007160568656c6c6f810bb8980ca80c");

    [Fact]
    public async Task A_client_that_never_reads_its_replies_is_held_back_and_then_disconnected_by_the_write_stall_timeout()
    {
        var service = new EchoService();
        await using var server = new TarsServer(new TarsServerOptions
        {
            MaxQueuedWriteBytes = 16 * 1024,
            WriteStallTimeout = TimeSpan.FromSeconds(1),
        }).AddService(service.Definition());
        await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync("127.0.0.1", server.Endpoint!.Port);
        await Eventually.TrueAsync(() => server.ConnectionCount == 1, "the connection accepted");
        // Sends requests (never reading) until the server stops reading them or closes the connection.
        var batch = new byte[EchoHello.Length * 256];
        for (int i = 0; i < 256; i++) EchoHello.CopyTo(batch, i * EchoHello.Length);
        var sender = Task.Run(async () =>
        {
            try
            {
                while (true) await socket.SendAsync(batch.AsMemory(), SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The server closed the connection.
            }
        });

        // Without the stall timeout the server would keep this connection (and the calls whose replies wait) for ever.
        await Eventually.TrueAsync(() => server.ConnectionCount == 0, "the server closing the connection of a client that reads nothing", 60);
        await Eventually.TrueAsync(() => server.InFlight == 0, "the held calls released with the connection", 60);
        socket.Dispose();
        await sender.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
