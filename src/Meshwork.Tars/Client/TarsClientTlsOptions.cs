using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Tars;

/// <summary>
/// TLS settings for calls to <c>ssl</c> endpoints (TLS over TCP). The defaults are the safe ones: the server's
/// certificate must chain to a root this machine trusts and name the endpoint's host, no client certificate is sent,
/// and the operating system picks the protocol version (TLS 1.2 or 1.3).
/// </summary>
public sealed class TarsClientTlsOptions
{
    /// <summary>
    /// The name the server's certificate must carry (and the SNI name sent). Default null: the endpoint's <c>-h</c>,
    /// as a browser checks the host it connects to.
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// Client certificates offered when the server asks for one (mutual TLS). Default null: none, since most TARS ssl
    /// servers authenticate clients by other means.
    /// </summary>
    public X509CertificateCollection? ClientCertificates { get; set; }

    /// <summary>
    /// Decides whether the server's certificate is acceptable (e.g. pin a self-signed certificate by thumbprint). Default
    /// null: the system's validation (trusted chain, host name, validity dates); a failure ends the connection attempt
    /// with Unavailable (TARS -8) naming the reason.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Allowed protocol versions. Default <see cref="SslProtocols.None"/>: the operating system's choice (TLS 1.2/1.3), which follows its security updates.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;
}
