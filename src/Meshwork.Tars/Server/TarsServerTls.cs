using System.Net.Security;
using System.Net.Sockets;

namespace Meshwork.Tars;

/// <summary>The server side of an <c>ssl</c> endpoint: the TLS handshake of one accepted connection, bounded in time.</summary>
internal static class TarsServerTls
{
    /// <summary>Throws when an ssl endpoint cannot be served with these options.</summary>
    /// <exception cref="InvalidOperationException">No certificate, or one without its private key.</exception>
    public static void EnsureServable(TarsServerOptions options, TarsEndpoint endpoint)
    {
        var certificate = options.Tls?.Certificate
            ?? throw new InvalidOperationException($"serving the ssl endpoint {endpoint} needs TarsServerOptions.Tls.Certificate (the server certificate with its private key)");
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"the certificate for the ssl endpoint {endpoint} ({certificate.Subject}) has no private key");
    }

    /// <summary>
    /// Runs the handshake on <paramref name="socket"/> within <see cref="TarsServerTlsOptions.HandshakeTimeout"/>; returns
    /// the authenticated stream (owning the socket), or null after logging why it failed (the socket is then closed).
    /// </summary>
    public static async Task<SslStream?> AuthenticateAsync(TarsServer server, Socket socket, string peer, CancellationToken stopping)
    {
        var tls = server.Options.Tls!;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(tls.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = tls.Certificate,
                ClientCertificateRequired = tls.ClientCertificateRequired,
                RemoteCertificateValidationCallback = tls.ClientCertificateValidation,
                EnabledSslProtocols = tls.EnabledProtocols,
            }, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or SocketException
            or OperationCanceledException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (stopping.IsCancellationRequested) return null;
            server.CountMalformed();
            string reason = e is OperationCanceledException ? $"no handshake within {tls.HandshakeTimeout.TotalMilliseconds:0} ms" : e.Message;
            if (server.MalformedLog.ShouldLog(peer, 5, out long suppressed)) TarsLog.TlsHandshakeFailed(server.Logger, peer, reason, suppressed);
            return null;
        }
    }
}
