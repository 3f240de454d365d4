using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

/// <summary>A server that answers with random frames: every client call must still end (reply or RpcException), never hang or crash.</summary>
public class HostileServerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Client_survives_a_server_that_sends_random_frames(int seed)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serverTask = Task.Run(async () =>
        {
            var rng = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                TcpClient socket;
                try
                {
                    socket = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using var s = socket;
                    var stream = s.GetStream();
                    var buffer = new byte[8192];
                    try
                    {
                        while (await stream.ReadAsync(buffer, stop.Token) > 0)
                        {
                            var w = new ArrayBufferWriter<byte>();
                            for (int i = 0; i < rng.Next(1, 6); i++)
                            {
                                var body = new byte[rng.Next(0, 16)];
                                rng.NextBytes(body);
                                FrameCodec.Write(w, new FrameHeader
                                {
                                    Type = (FrameType)rng.Next(1, 11),
                                    Flags = (FrameFlags)rng.Next(0, 2),
                                    RequestId = (ulong)rng.Next(0, 12),
                                    Status = (StatusCode)rng.Next(0, 17),
                                    Serializer = (byte)rng.Next(0, 4),
                                    Compression = (byte)rng.Next(0, 3),
                                    Window = (uint)rng.Next(0, 5),
                                }, body);
                            }
                            await stream.WriteAsync(w.WrittenMemory, stop.Token);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                });
            }
        });
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var channel = RpcChannel.ForAddress($"127.0.0.1:{port}", new RpcClientOptions
            {
                ReconnectBackoffInitial = TimeSpan.FromMilliseconds(1),
                ReconnectBackoffMax = TimeSpan.FromMilliseconds(5),
            });
            var options = new CallOptions { Timeout = TimeSpan.FromSeconds(2) };
            var calls = new List<Task>();
            for (int i = 0; i < 300; i++)
            {
                calls.Add(Outcome(channel.UnaryAsync(TestService.Echo, "x", options).AsTask()));
                if (i % 30 == 0) calls.Add(Outcome(Drain(channel.ServerStreaming(TestService.Count, 5, options))));
                if (i % 50 == 0) calls.Add(Outcome(channel.ClientStreamingAsync(TestService.Sum, CallKindTests.Range(0, 3), options).AsTask()));
            }
            // Every call ends well within its deadline plus the sweeper's resolution.
            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await serverTask;
        }
    }

    private static async Task Outcome(Task call)
    {
        try
        {
            await call;
        }
        catch (RpcException)
        {
        }
    }

    private static async Task Drain(IAsyncEnumerable<int> items)
    {
        await foreach (var _ in items)
        {
        }
    }
}
