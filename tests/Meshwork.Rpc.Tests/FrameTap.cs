using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// A loopback TCP proxy between a real client and a real server that parses every frame in both directions, records
/// what it saw, and can withhold chosen frames. Tests use it to see the wire (was this body compressed, which status
/// did the server send) and to take one protocol mechanism away (cancel frames, heartbeat acks) without touching the
/// code under test.
/// </summary>
internal sealed class FrameTap : IAsyncDisposable
{
    /// <summary>One frame that crossed (or was stopped at) the tap.</summary>
    public sealed record Seen(FrameType Type, FrameFlags Flags, ulong RequestId, byte Compression, StatusCode Status,
        string? StatusMessage, long FrameBytes, bool Dropped);

    // Large enough for any frame a test sends; the peers enforce their own limits.
    private const int MaxObservedFrame = 256 * 1024 * 1024;

    private readonly TcpListener _listener;
    private readonly EndPoint _target;
    private readonly Func<Seen, bool> _dropToServer;
    private readonly Func<Seen, bool> _dropToClient;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Seen> _toServer = new();
    private readonly ConcurrentQueue<Seen> _toClient = new();
    private readonly ConcurrentBag<Socket> _sockets = new();
    private readonly ConcurrentBag<Task> _pumps = new();
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _clientHangUps;

    private FrameTap(RpcEndpoint target, Func<Seen, bool>? dropToServer, Func<Seen, bool>? dropToClient)
    {
        _target = target.EndPoint;
        _dropToServer = dropToServer ?? (_ => false);
        _dropToClient = dropToClient ?? (_ => false);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = RpcEndpoint.Tcp((IPEndPoint)_listener.LocalEndpoint);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Starts a tap in front of <paramref name="target"/>; the predicates say which frames to withhold.</summary>
    public static FrameTap Start(RpcEndpoint target, Func<Seen, bool>? dropToServer = null, Func<Seen, bool>? dropToClient = null) =>
        new(target, dropToServer, dropToClient);

    /// <summary>Where clients connect instead of the server.</summary>
    public RpcEndpoint Endpoint { get; }

    /// <summary>Client connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections whose client side closed first (the client hung up, not the server).</summary>
    public int ClientHangUps => Volatile.Read(ref _clientHangUps);

    /// <summary>Frames from clients to the server, in arrival order.</summary>
    public Seen[] ToServer => _toServer.ToArray();

    /// <summary>Frames from the server to clients, in arrival order.</summary>
    public Seen[] ToClient => _toClient.ToArray();

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            var server = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(client);
            _sockets.Add(server);
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var clientStream = new NetworkStream(client, ownsSocket: false);
            var serverStream = new NetworkStream(server, ownsSocket: false);
            int closed = 0;
            // Whichever side ends first closes both; only a client that ended first counts as a hang-up.
            void End(bool clientEnded)
            {
                if (Interlocked.Exchange(ref closed, 1) != 0) return;
                if (clientEnded) Interlocked.Increment(ref _clientHangUps);
                client.Dispose();
                server.Dispose();
            }
            _pumps.Add(PumpAsync(clientStream, serverStream, _toServer, _dropToServer, () => End(clientEnded: true)));
            _pumps.Add(PumpAsync(serverStream, clientStream, _toClient, _dropToClient, () => End(clientEnded: false)));
        }
    }

    /// <summary>Copies whole frames from <paramref name="from"/> to <paramref name="to"/>, recording each and skipping dropped ones.</summary>
    private async Task PumpAsync(Stream from, Stream to, ConcurrentQueue<Seen> log, Func<Seen, bool> drop, Action onEnd)
    {
        var reader = PipeReader.Create(from, new StreamPipeReaderOptions(leaveOpen: true));
        bool ended = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                var start = buffer.Start;
                while (FrameCodec.TryRead(ref buffer, MaxObservedFrame, null, out var header, out _))
                {
                    var frame = result.Buffer.Slice(start, buffer.Start);
                    start = buffer.Start;
                    var seen = new Seen(header.Type, header.Flags, header.RequestId, header.Compression, header.Status,
                        header.StatusMessage, frame.Length, Dropped: false);
                    if (drop(seen)) seen = seen with { Dropped = true };
                    log.Enqueue(seen);
                    if (seen.Dropped) continue;
                    foreach (var segment in frame) await to.WriteAsync(segment, _stop.Token);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    ended = true;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            ended = !_stop.IsCancellationRequested;
        }
        await reader.CompleteAsync();
        if (ended) onEnd();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        foreach (var socket in _sockets) socket.Dispose();
        await Task.WhenAll(_pumps);
        _stop.Dispose();
    }
}
