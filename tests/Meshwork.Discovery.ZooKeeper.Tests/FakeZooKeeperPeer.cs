using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Meshwork.Discovery.ZooKeeper.Protocol;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>
/// A loopback TCP peer that speaks just enough of the protocol to misbehave on purpose: no real ZooKeeper sends
/// malformed frames, so this is how the client's handling of them is exercised. Each accepted connection runs
/// <c>serve</c>; the listener stops on dispose.
/// </summary>
internal sealed class FakeZooKeeperPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FakeZooKeeperPeer(Func<NetworkStream, CancellationToken, Task> serve)
    {
        _listener.Start();
        _accepting = Task.Run(async () =>
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    connections.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await serve(client.GetStream(), _stop.Token);
                            }
                            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
                            {
                            }
                        }
                    }));
                }
            }
            catch (OperationCanceledException)
            {
            }
            await Task.WhenAll(connections);
        });
    }

    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Reads one length-prefixed frame and returns its payload.</summary>
    public static async Task<byte[]> ReadFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix, ct);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await stream.ReadExactlyAsync(payload, ct);
        return payload;
    }

    /// <summary>A well-formed ConnectResponse frame granting session 0x1234 with a 4 s timeout.</summary>
    public static byte[] GoodConnectResponse()
    {
        using var w = new JuteWriter();
        w.WriteInt(0);
        w.WriteInt(4000);
        w.WriteLong(0x1234);
        w.WriteBuffer(new byte[16]);
        w.WriteBool(false);
        return w.Frame().ToArray();
    }

    /// <summary>Waits until the peer's stream ends (the client hung up) without answering anything.</summary>
    public static async Task DrainAsync(NetworkStream stream, CancellationToken ct)
    {
        var sink = new byte[4096];
        while (await stream.ReadAsync(sink, ct) > 0)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
