using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Meshwork.Gossip.Transport;

/// <summary>UDP socket and TCP listener bound to the same address and port, like memberlist's NetTransport.</summary>
public sealed class UdpTcpTransport : ITransport
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Channel<Packet> _packets = Channel.CreateBounded<Packet>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<IncomingStream> _streams = Channel.CreateBounded<IncomingStream>(128);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    private UdpTcpTransport(Socket udp, TcpListener tcp)
    {
        _udp = udp;
        _tcp = tcp;
        LocalEndPoint = (IPEndPoint)tcp.LocalEndpoint;
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    /// <summary>Binds both sockets; with port 0 a port free for TCP and UDP is chosen.</summary>
    public static UdpTcpTransport Bind(IPAddress address, int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var tcp = new TcpListener(address, port);
            try
            {
                tcp.Start(128);
                var actual = ((IPEndPoint)tcp.LocalEndpoint).Port;
                var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    udp.Bind(new IPEndPoint(address, actual));
                    udp.ReceiveBufferSize = 2 * 1024 * 1024;
                }
                catch (SocketException) when (port == 0 && attempt < 20)
                {
                    udp.Dispose();
                    tcp.Stop();
                    continue;
                }
                return new UdpTcpTransport(udp, tcp);
            }
            catch
            {
                tcp.Stop();
                throw;
            }
        }
    }

    /// <inheritdoc />
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc />
    public ChannelReader<Packet> Packets => _packets.Reader;

    /// <inheritdoc />
    public ChannelReader<IncomingStream> Streams => _streams.Reader;

    /// <inheritdoc />
    public void SendPacket(IPEndPoint to, byte[] datagram)
    {
        try { _udp.SendTo(datagram, SocketFlags.None, to); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    /// <inheritdoc />
    public async Task<Stream> DialAsync(IPEndPoint to, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        cts.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(to, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        return new NetworkStream(client, ownsSocket: true);
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(_udp.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_cts.IsCancellationRequested)
        {
            try
            {
                var result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _cts.Token).ConfigureAwait(false);
                if (result.ReceivedBytes < 1) { continue; }
                _packets.Writer.TryWrite(new Packet((IPEndPoint)result.RemoteEndPoint, buffer.AsSpan(0, result.ReceivedBytes).ToArray()));
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { }
        }
        _packets.Writer.TryComplete();
    }

    private async Task TcpLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            try
            {
                var socket = await _tcp.AcceptSocketAsync(_cts.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                var stream = new NetworkStream(socket, ownsSocket: true);
                if (!_streams.Writer.TryWrite(new IncomingStream(socket.RemoteEndPoint as IPEndPoint, stream)))
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { }
        }
        _streams.Writer.TryComplete();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        _udp.Dispose();
        _tcp.Stop();
        try { await Task.WhenAll(_udpLoop, _tcpLoop).ConfigureAwait(false); } catch (Exception) { }
        _cts.Dispose();
    }
}
