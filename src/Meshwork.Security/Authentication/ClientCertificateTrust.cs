using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc.Transport;

namespace Meshwork.Security.Authentication;

/// <summary>Which client certificates a mutual-TLS server accepts in the handshake.</summary>
public sealed class ClientCertificateTrustOptions
{
    /// <summary>
    /// The certificate authorities client certificates must chain to. Required. Only these are trusted, not the
    /// system store: a mesh's client certificates come from a private CA, and a public CA must not vouch for callers.
    /// </summary>
    public X509Certificate2Collection TrustedRoots { get; set; } = new();

    /// <summary>
    /// Require the client-authentication extended key usage (1.3.6.1.5.5.7.3.2) when the certificate lists usages.
    /// Default true: a server certificate from the same CA must not pass as a client.
    /// </summary>
    public bool RequireClientAuthenticationUsage { get; set; } = true;

    /// <summary>
    /// Revocation checking. Default <see cref="X509RevocationMode.NoCheck"/>: private mesh CAs rarely publish CRLs or
    /// OCSP, and an online check per handshake would make every connection depend on a reachable CRL server. Prefer
    /// short-lived certificates; set <see cref="X509RevocationMode.Online"/> when the CA publishes revocation.
    /// </summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>Throws <see cref="Rpc.InvalidOptionException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(ClientCertificateTrustOptions);
        if (TrustedRoots is null || TrustedRoots.Count == 0) throw new Rpc.InvalidOptionException(type, nameof(TrustedRoots), "at least one trusted root certificate is required for mutual TLS");
        if (!Enum.IsDefined(RevocationMode)) throw new Rpc.InvalidOptionException(type, nameof(RevocationMode), $"is not a revocation mode (was {RevocationMode})");
    }
}

/// <summary>Configures a server's TLS for mutual TLS: client certificates are required and checked against private trust anchors.</summary>
public static class ClientCertificateTrust
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// Makes <paramref name="tls"/> require a client certificate in every handshake and accept only those that chain
    /// to <see cref="ClientCertificateTrustOptions.TrustedRoots"/>. Connections without one, or with an untrusted one,
    /// fail the handshake and are counted in <c>RpcServer.ProtocolErrors</c> as TLS handshake failures. Returns <paramref name="tls"/>.
    /// </summary>
    public static TlsServerOptions RequireClientCertificates(this TlsServerOptions tls, ClientCertificateTrustOptions trust)
    {
        ArgumentNullException.ThrowIfNull(tls);
        tls.ClientCertificateRequired = true;
        tls.RequestClientCertificate = false;
        tls.ClientCertificateValidation = CreateValidator(trust);
        return tls;
    }

    /// <summary>
    /// Makes <paramref name="tls"/> ask every client for a certificate without requiring one: a client that sends one
    /// must send a trusted one (else the handshake fails) and is identified by it; a client that sends none connects
    /// and must authenticate per call (bearer or HMAC), as the method policies demand. Returns <paramref name="tls"/>.
    /// </summary>
    public static TlsServerOptions RequestClientCertificates(this TlsServerOptions tls, ClientCertificateTrustOptions trust)
    {
        ArgumentNullException.ThrowIfNull(tls);
        tls.ClientCertificateRequired = false;
        tls.RequestClientCertificate = true;
        tls.ClientCertificateValidation = CreateValidator(trust, allowMissing: true);
        return tls;
    }

    /// <summary>
    /// A handshake callback that accepts exactly the client certificates <paramref name="trust"/> allows (validated
    /// now), and a client without a certificate only when <paramref name="allowMissing"/> is true.
    /// </summary>
    public static RemoteCertificateValidationCallback CreateValidator(ClientCertificateTrustOptions trust, bool allowMissing = false)
    {
        ArgumentNullException.ThrowIfNull(trust);
        trust.Validate();
        var roots = new X509Certificate2Collection(trust.TrustedRoots);
        bool requireUsage = trust.RequireClientAuthenticationUsage;
        var revocation = trust.RevocationMode;
        return (_, certificate, presentedChain, errors) =>
        {
            if (certificate is null) return allowMissing;
            // Chain errors are expected (the roots are not in the system store) and re-checked below; anything else is not.
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = revocation;
            if (requireUsage) chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthenticationOid));
            if (presentedChain is not null)
            {
                // Intermediates the client sent along; trust still has to end at one of our roots.
                for (int i = 1; i < presentedChain.ChainElements.Count; i++) chain.ChainPolicy.ExtraStore.Add(presentedChain.ChainElements[i].Certificate);
            }
            var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            try
            {
                return chain.Build(leaf);
            }
            finally
            {
                if (!ReferenceEquals(leaf, certificate)) leaf.Dispose();
            }
        };
    }
}
