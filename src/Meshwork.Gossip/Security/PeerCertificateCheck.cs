using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Gossip.Security;

/// <summary>
/// Validates one peer's certificate for one handshake against <see cref="StreamTlsOptions"/> and remembers why it was
/// refused, so the handshake error can say so instead of the generic "remote certificate was rejected".
/// </summary>
internal sealed class PeerCertificateCheck(StreamTlsOptions options, bool accepting)
{
    private static readonly System.Security.Cryptography.Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly System.Security.Cryptography.Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>Why the certificate was refused; null while it was not.</summary>
    public string? Refusal { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            if (accepting && !options.RequirePeerCertificate) { return true; }
            Refusal = accepting ? "the dialling peer presented no client certificate (RequirePeerCertificate is on)" : "the peer presented no certificate";
            return false;
        }
        // The framework's chain (system trust, host-name check against an IP) is not the policy here: build our own.
        var cert = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var own = new X509Chain();
        own.ChainPolicy.RevocationMode = options.RevocationMode;
        own.ChainPolicy.DisableCertificateDownloads = true;
        // The dialler acts as a TLS client, the acceptor as a server: each certificate must allow its role
        // (a certificate without extended key usage allows both).
        own.ChainPolicy.ApplicationPolicy.Add(accepting ? ClientAuthentication : ServerAuthentication);
        if (options.TrustedAuthorities.Count > 0)
        {
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.AddRange(options.TrustedAuthorities);
        }
        if (chain is not null)
        {
            // Intermediates the peer sent along.
            foreach (var element in chain.ChainElements) { own.ChainPolicy.ExtraStore.Add(element.Certificate); }
        }
        if (!own.Build(cert))
        {
            var status = string.Join(", ", own.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            Refusal = $"the peer certificate '{cert.Subject}' (issuer '{cert.Issuer}') is not trusted: {status}";
            return false;
        }
        if (options.PeerName is { } name && !cert.MatchesHostname(name))
        {
            Refusal = $"the peer certificate '{cert.Subject}' is not valid for the cluster name '{name}'";
            return false;
        }
        if (options.PeerCertificateFilter is { } filter && !filter(cert))
        {
            Refusal = $"the peer certificate '{cert.Subject}' was refused by PeerCertificateFilter";
            return false;
        }
        return true;
    }
}
