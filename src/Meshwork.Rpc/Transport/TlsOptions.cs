using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Rpc.Transport;

/// <summary>Server-side TLS. Setting <see cref="ClientCertificateRequired"/> turns on mutual TLS.</summary>
public sealed class TlsServerOptions
{
    /// <summary>The server's certificate, with private key. Required.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Require and validate a client certificate (mTLS). Default false.</summary>
    public bool ClientCertificateRequired { get; set; }

    /// <summary>
    /// Ask clients for a certificate without requiring one: clients that send one are identified by it (their
    /// certificate is on <see cref="Server.ServerCallContext.ClientCertificate"/>), the others connect anyway and may
    /// authenticate per call (tokens). Needs <see cref="ClientCertificateValidation"/>, which is then also called with a
    /// null certificate and decides whether that is acceptable. Default false. <see cref="ClientCertificateRequired"/> wins.
    /// </summary>
    public bool RequestClientCertificate { get; set; }

    /// <summary>Custom validation of client certificates (for example pinning a private CA). Null uses the system trust store.</summary>
    public RemoteCertificateValidationCallback? ClientCertificateValidation { get; set; }

    /// <summary>Time allowed for the handshake before the connection is dropped. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Client-side TLS.</summary>
public sealed class TlsClientOptions
{
    /// <summary>Name checked against the server certificate. Default: the host of the endpoint.</summary>
    public string? TargetHost { get; set; }

    /// <summary>Client certificate for mTLS.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>Custom server certificate validation. Null uses the system trust store.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }
}

internal static class Alpn
{
    public static readonly SslApplicationProtocol Meshwork1 = new("meshwork/1");
}
