using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Tars.Tests.Transport;

/// <summary>Self-signed certificates made in the test (nothing read from disk or the machine's store).</summary>
public static class TestCertificates
{
    /// <summary>A server certificate for localhost / 127.0.0.1, with its private key.</summary>
    public static X509Certificate2 Server(string name = "localhost") => Create(name, serverAuth: true);

    /// <summary>A client certificate (clientAuth), with its private key.</summary>
    public static X509Certificate2 Client(string name = "meshwork-test-client") => Create(name, serverAuth: false);

    private static X509Certificate2 Create(string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(name);
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // A PFX round trip gives a certificate whose key every TLS backend can use.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
