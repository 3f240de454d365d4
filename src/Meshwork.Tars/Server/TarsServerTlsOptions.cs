using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Tars;

/// <summary>
/// TLS settings for serving <c>ssl</c> endpoints (TLS over TCP). Only <see cref="Certificate"/> is required; by default
/// clients are not asked for a certificate and the operating system picks the protocol version (TLS 1.2 or 1.3).
/// </summary>
public sealed class TarsServerTlsOptions
{
    /// <summary>The server's certificate, with its private key. Required for an <c>ssl</c> endpoint (no default).</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>
    /// Ask every client for a certificate and refuse the connection without one (mutual TLS). Default false: TARS ssl
    /// clients usually present none.
    /// </summary>
    public bool ClientCertificateRequired { get; set; }

    /// <summary>
    /// Decides whether a client's certificate is acceptable (e.g. pin a private CA). Default null: the system's
    /// validation (trusted chain, validity dates) when <see cref="ClientCertificateRequired"/> is set.
    /// </summary>
    public RemoteCertificateValidationCallback? ClientCertificateValidation { get; set; }

    /// <summary>Allowed protocol versions. Default <see cref="SslProtocols.None"/>: the operating system's choice (TLS 1.2/1.3), which follows its security updates.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>
    /// How long a new connection may take to finish its handshake; beyond it the connection is closed. Default 10 s:
    /// ample for a real client, short enough that idle half-open connections do not pile up (they count against
    /// <see cref="TarsServerOptions.MaxConnections"/> meanwhile).
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (HandshakeTimeout <= TimeSpan.Zero) throw new ArgumentException($"TarsServerTlsOptions.HandshakeTimeout must be positive (was {HandshakeTimeout})");
    }
}
