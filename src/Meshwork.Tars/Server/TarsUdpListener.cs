using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.Tars;

/// <summary>
/// Serves a <c>udp</c> endpoint: one request frame per datagram (with its length prefix, as TarsCpp and the Node peer
/// send it), one reply datagram back to the sender. Each remote address is a peer with the state a TCP connection has
/// (in-flight limit, idle timeout from the endpoint's <c>-t</c>, a place in <see cref="TarsServerOptions.MaxConnections"/>),
/// so the server's limits apply unchanged. Malformed or oversized datagrams are counted and dropped: there is no
/// stream to resynchronise and no connection to close.
/// </summary>
internal sealed class TarsUdpListener : IAsyncDisposable
{
    private readonly TarsServer _server;
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<EndPoint, TarsServerConnection> _peers = new();
    private readonly Func<TarsServerConnection, bool> _adopt;
    private readonly CancellationTokenSource _stopReceiving = new();
    private Task _receiveLoop = Task.CompletedTask;

    private TarsUdpListener(TarsServer server, Socket socket, Func<TarsServerConnection, bool> adopt)
    {
        _server = server;
        _socket = socket;
        _adopt = adopt;
    }

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>
    /// Binds <paramref name="address"/>:<paramref name="port"/> and starts receiving. <paramref name="adopt"/> registers a
    /// new peer with the server and returns false when <see cref="TarsServerOptions.MaxConnections"/> is reached.
    /// </summary>
    /// <exception cref="SocketException">The port cannot be bound.</exception>
    public static TarsUdpListener Start(TarsServer server, IPAddress address, int port, Func<TarsServerConnection, bool> adopt)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var listener = new TarsUdpListener(server, socket, adopt);
        listener._receiveLoop = listener.ReceiveLoopAsync();
        return listener;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(TarsDatagram.ReceiveBufferSize);
        EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stopReceiving.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stopReceiving.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP error for an earlier reply surfacing on this socket; keep serving the others
            }
            OnDatagram(buffer.AsSpan(0, received.ReceivedBytes), received.RemoteEndPoint);
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, EndPoint remote)
    {
        if (!TarsDatagram.TryValidate(datagram, _server.Options.MaxDatagramSize, out string problem))
        {
            _server.CountMalformed();
            string name = PeerName(remote);
            if (_server.MalformedLog.ShouldLog(name, 1, out long suppressed)) TarsLog.MalformedDatagram(_server.Logger, name, problem, suppressed);
            return;
        }
        var peer = PeerFor(remote);
        if (peer is null) return;
        int length = datagram.Length - TarsFrame.PrefixLength;
        byte[] body = ArrayPool<byte>.Shared.Rent(length);
        datagram[TarsFrame.PrefixLength..].CopyTo(body);
        peer.OnDatagram(body, length);
    }

    private TarsServerConnection? PeerFor(EndPoint remote)
    {
        if (_peers.TryGetValue(remote, out var peer) && !peer.IsClosed) return peer;
        string name = PeerName(remote);
        var created = new TarsServerConnection(_server, this, remote, name);
        if (!_adopt(created))
        {
            if (_server.MalformedLog.ShouldLog("udp", 3, out long suppressed))
                TarsLog.DatagramPeerRefused(_server.Logger, name, _server.ConnectionCount, suppressed);
            return null;
        }
        _peers[remote] = created;
        // A peer closed for idleness (or by the stop) leaves the table; its next datagram makes a new one.
        _ = created.Closed.ContinueWith(static (_, s) =>
        {
            var (peers, key, connection) = ((ConcurrentDictionary<EndPoint, TarsServerConnection>, EndPoint, TarsServerConnection))s!;
            peers.TryRemove(KeyValuePair.Create(key, connection));
        }, (_peers, remote, created), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return created;
    }

    private static string PeerName(EndPoint remote) => "udp:" + remote;

    /// <summary>Sends one reply datagram; a failure is logged (rate-limited) and the reply is lost, as UDP replies can be.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame, EndPoint remote, string peer)
    {
        try
        {
            await _socket.SendToAsync(frame, SocketFlags.None, remote).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (_server.MalformedLog.ShouldLog(peer, 4, out long suppressed)) TarsLog.DatagramSendFailed(_server.Logger, peer, e.Message, suppressed);
        }
    }

    /// <summary>Stops taking requests (drain); replies of calls in flight still go out until <see cref="DisposeAsync"/>.</summary>
    public async Task StopReceivingAsync()
    {
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
    }

    /// <summary>Stops receiving and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopReceivingAsync().ConfigureAwait(false);
        _socket.Dispose();
        _stopReceiving.Dispose();
    }
}
