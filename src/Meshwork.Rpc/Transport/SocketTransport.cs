using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Meshwork.Rpc.Transport;

/// <summary>Opens client connections over TCP or Unix domain sockets, optionally wrapped in TLS.</summary>
internal static class SocketTransport
{
    public static async Task<(Stream Stream, string Peer)> ConnectAsync(RpcEndpoint endpoint, TlsClientOptions? tls, TimeSpan timeout, ReaderThreadBudget readerThreads, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        Socket socket = endpoint.IsUnixSocket
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        // Held from here until the connection's stream is disposed; returned below if the connect fails first (with a
        // reader thread there is no TLS, so nothing can fail after the stream holds it).
        bool readerThread = readerThreads.TryTake(socket, tls is not null);
        try
        {
            if (!endpoint.IsUnixSocket) socket.NoDelay = true;
            try
            {
                if (readerThread) await ConnectBlockingAsync(socket, endpoint, cts.Token).ConfigureAwait(false);
                else await socket.ConnectAsync(endpoint.EndPoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Unavailable, $"connect to {endpoint} timed out after {timeout.TotalMilliseconds:0} ms");
            }
            catch (SocketException ex)
            {
                throw new RpcException(StatusCode.Unavailable, $"connect to {endpoint} failed: {ex.SocketErrorCode} ({ex.Message})", ex);
            }
            var plain = new NetworkStream(socket, ownsSocket: true);
            Stream stream = readerThread ? new ReaderThreadStream(plain, readerThreads) : plain;
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = tls.TargetHost ?? HostOf(endpoint),
                        ClientCertificates = tls.ClientCertificate is null ? null : new() { tls.ClientCertificate },
                        RemoteCertificateValidationCallback = tls.ServerCertificateValidation,
                        ApplicationProtocols = [Alpn.Meshwork1],
                    }, cts.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw new RpcException(StatusCode.Unavailable, $"TLS handshake with {endpoint} failed: {ex.Message}", ex);
                }
                stream = ssl;
            }
            return (stream, endpoint.Display);
        }
        catch
        {
            if (readerThread) readerThreads.Release();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A blocking connect on a thread of its own: an asynchronous one would leave the socket non-blocking for good, and
    /// the reader thread's receives would then only be emulated. Timeout and cancellation close the socket, which ends
    /// the connect.
    /// </summary>
    private static async Task ConnectBlockingAsync(Socket socket, RpcEndpoint endpoint, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var connect = Task.Factory.StartNew(static s =>
        {
            var (socket, endPoint) = ((Socket, EndPoint))s!;
            socket.Connect(endPoint);
        }, (socket, endpoint.EndPoint), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (ct.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket))
        {
            try
            {
                await connect.ConfigureAwait(false);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is SocketException or ObjectDisposedException)
            {
                throw new OperationCanceledException(ct);
            }
        }
    }

    private static string HostOf(RpcEndpoint endpoint) => endpoint.EndPoint switch
    {
        DnsEndPoint d => d.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => "localhost",
    };
}
