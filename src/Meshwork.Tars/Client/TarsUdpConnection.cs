using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>
/// A TARS "connection" over UDP: a connected datagram socket to one endpoint, one request frame per datagram, replies
/// matched by request id. UDP may drop a request or its reply; the call's timeout then ends it (DeadlineExceeded,
/// TARS -7). A request that does not fit one datagram fails before anything is sent. A malformed datagram is counted
/// and dropped (unlike a stream, nothing needs resynchronising). An ICMP "port unreachable" ends the calls in flight
/// at once with Unavailable (TARS -8) instead of letting them time out.
/// </summary>
internal sealed class TarsUdpConnection : TarsClientConnection
{
    private readonly Socket _socket;

    private TarsUdpConnection(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog, Socket socket)
        : base(endpoint, options, log, malformedLog)
    {
        _socket = socket;
    }

    public override int MaxFrameSize => Math.Min(Options.MaxPacketSize, Options.MaxUdpDatagramSize);

    public override string MaxFrameSizeSetting => "TarsClientOptions.MaxUdpDatagramSize; use a tcp endpoint for larger calls";

    /// <summary>Resolves the endpoint and binds a socket to it (no handshake: UDP has none).</summary>
    /// <exception cref="SocketException">The host does not resolve or the socket cannot be opened.</exception>
    public static async Task<TarsClientConnection> OpenAsync(TarsEndpoint endpoint, TarsClientOptions options, ILogger log,
        LogRateLimiter malformedLog, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(endpoint.Host, out var ip) ? ip : await ResolveAsync(endpoint.Host, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new TarsUdpConnection(endpoint, options, log, malformedLog, socket);
        _ = connection.ReceiveLoopAsync();
        return connection;
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            // One frame, one datagram; a datagram is sent whole or not at all, so sends need no lock.
            await _socket.SendAsync(frame, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close(e.Message);
            throw new RpcException(StatusCode.Unavailable, $"sending to TARS endpoint {Endpoint} failed: {e.Message}");
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(TarsDatagram.ReceiveBufferSize);
        int limit = Math.Min(Options.MaxPacketSize, TarsDatagram.MaxUdpPayload);
        string reason = "the channel closed the connection";
        try
        {
            while (true)
            {
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None, Closing.Token).ConfigureAwait(false);
                var datagram = buffer.AsSpan(0, received);
                if (!TarsDatagram.TryValidate(datagram, limit, out string problem))
                {
                    ReportMalformed(problem);
                    continue;
                }
                try
                {
                    OnFrame(datagram[TarsFrame.PrefixLength..].ToArray());
                }
                catch (TarsDecodeException e)
                {
                    ReportMalformed(e.Message);
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            reason = "nothing listens on that UDP port (ICMP port unreachable)";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (e is SocketException) reason = e.Message;
        }
        finally
        {
            Close(reason);
        }
    }

    protected override void CloseTransport() => _socket.Dispose();
}
