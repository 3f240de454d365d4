using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Tests;

public class TlsTests
{
    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=Meshwork Test CA", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(ca.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string cn, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, false));
        var serial = RandomNumberGenerator.GetBytes(8);
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(50), serial);
        using var withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Validates against our private CA only (no system trust store).</summary>
    private static bool ChainsTo(X509Certificate2 ca, X509Certificate? presented)
    {
        if (presented is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
    }

    [Fact]
    public async Task Tls_calls_work_and_plaintext_clients_are_refused()
    {
        using var ca = CreateCa();
        using var serverCert = Issue(ca, "meshwork-server", server: true);
        await using var f = await ServerFixture.StartAsync(
            server: o => o.Tls = new TlsServerOptions { Certificate = serverCert },
            client: o => o.Tls = new TlsClientOptions { TargetHost = "localhost", ServerCertificateValidation = (_, cert, _, _) => ChainsTo(ca, cert) });
        Assert.Equal("secure", await f.Channel.UnaryAsync(TestService.Echo, "secure"));
        var items = new List<int>();
        await foreach (var i in f.Channel.ServerStreaming(TestService.Count, 50)) items.Add(i);
        Assert.Equal(50, items.Count);

        await using var plain = RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0], new RpcClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await plain.UnaryAsync(TestService.Echo, "x", new CallOptions { Timeout = TimeSpan.FromSeconds(5) }));
        Assert.True(ex.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, ex.ToString());
    }

    [Fact]
    public async Task Client_rejects_a_server_it_does_not_trust()
    {
        using var ca = CreateCa();
        using var otherCa = CreateCa();
        using var serverCert = Issue(otherCa, "impostor", server: true);
        await using var f = await ServerFixture.StartAsync(
            server: o => o.Tls = new TlsServerOptions { Certificate = serverCert },
            client: o => o.Tls = new TlsClientOptions { TargetHost = "localhost", ServerCertificateValidation = (_, cert, _, _) => ChainsTo(ca, cert) });
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await f.Channel.UnaryAsync(TestService.Echo, "x"));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Contains("TLS handshake", ex.Message);
    }

    [Fact]
    public async Task Mutual_tls_accepts_trusted_clients_and_rejects_others()
    {
        using var ca = CreateCa();
        using var serverCert = Issue(ca, "meshwork-server", server: true);
        using var clientCert = Issue(ca, "meshwork-client", server: false);
        var serverTls = new TlsServerOptions
        {
            Certificate = serverCert,
            ClientCertificateRequired = true,
            ClientCertificateValidation = (_, cert, _, _) => ChainsTo(ca, cert),
        };
        await using var f = await ServerFixture.StartAsync(
            server: o => o.Tls = serverTls,
            client: o => o.Tls = new TlsClientOptions { TargetHost = "localhost", ClientCertificate = clientCert, ServerCertificateValidation = (_, cert, _, _) => ChainsTo(ca, cert) });
        Assert.Equal("mutual", await f.Channel.UnaryAsync(TestService.Echo, "mutual"));

        await using var anonymous = RpcChannel.ForEndpoint(f.Server.BoundEndpoints[0], new RpcClientOptions
        {
            Tls = new TlsClientOptions { TargetHost = "localhost", ServerCertificateValidation = (_, cert, _, _) => ChainsTo(ca, cert) },
        });
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await anonymous.UnaryAsync(TestService.Echo, "x", new CallOptions { Timeout = TimeSpan.FromSeconds(5) }));
        Assert.True(ex.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, ex.ToString());
    }
}
