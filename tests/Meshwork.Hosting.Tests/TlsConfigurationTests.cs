using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>Mutual TLS configured only through files named in configuration: PKCS#12 on the server, PEM on the client.</summary>
public class TlsConfigurationTests
{
    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(ca.Export(X509ContentType.Pkcs12), null);
    }

    private static (X509Certificate2 Certificate, ECDsa Key) Issue(X509Certificate2 ca, string cn, string usageOid)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(usageOid) }, false));
        var cert = req.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(50), RandomNumberGenerator.GetBytes(8));
        return (cert, key);
    }

    private sealed class Pki : IDisposable
    {
        public TempFiles Files { get; } = new();
        public string CaPem { get; }
        public string OtherCaPem { get; }
        public string ServerPfx { get; }
        public string ClientCertPem { get; }
        public string ClientKeyPem { get; }

        public Pki()
        {
            using var ca = CreateCa("Meshwork Hosting Test CA");
            using var other = CreateCa("Some Other CA");
            CaPem = Files.Write("ca.pem", ca.ExportCertificatePem());
            OtherCaPem = Files.Write("other-ca.pem", other.ExportCertificatePem());

            var (server, serverKey) = Issue(ca, "server", "1.3.6.1.5.5.7.3.1");
            using (server)
            using (serverKey)
            using (var withKey = server.CopyWithPrivateKey(serverKey))
            {
                ServerPfx = Path.Combine(Files.Directory, "server.pfx");
                File.WriteAllBytes(ServerPfx, withKey.Export(X509ContentType.Pkcs12, "s3cret"));
            }

            var (client, clientKey) = Issue(ca, "client", "1.3.6.1.5.5.7.3.2");
            using (client)
            using (clientKey)
            {
                ClientCertPem = Files.Write("client.crt", client.ExportCertificatePem());
                ClientKeyPem = Files.Write("client.key", clientKey.ExportPkcs8PrivateKeyPem());
            }
        }

        public void Dispose() => Files.Dispose();
    }

    private static IHost MtlsServer(Pki pki)
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?>
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:Tls:CertificatePath"] = pki.ServerPfx,
            ["Meshwork:Server:Tls:CertificatePassword"] = "s3cret",
            ["Meshwork:Server:Tls:ClientCertificateRequired"] = "true",
            ["Meshwork:Server:Tls:ClientCaPath"] = pki.CaPem,
            ["Meshwork:Server:Tls:HandshakeTimeout"] = "5s",
        });
        builder.Services.AddSingleton(new GreetingPrefix("secure "));
        builder.Services.AddMeshworkServer().AddService<IGreeter, Greeter>();
        return builder.Build();
    }

    private static IHost YamlClient(Pki pki, string address, string trustedCa)
    {
        string yaml = pki.Files.Write($"client-{Guid.NewGuid():N}.yaml", $"""
            Meshwork:
              Clients:
                Greeter:
                  Address: "{address}"
                  DefaultTimeout: 5s
                  ConnectTimeout: 20s
                  ReconnectBackoffMax: 200ms
                  Tls:
                    TargetHost: localhost
                    CertificatePath: '{pki.ClientCertPem}'
                    KeyPath: '{pki.ClientKeyPem}'
                    ServerCaPath: '{trustedCa}'
            """);
        var builder = TestHosts.Builder();
        builder.Configuration.AddYamlFile(yaml);
        builder.Services.AddMeshworkClient<IGreeter>();
        return builder.Build();
    }

    [Fact]
    public async Task Mutual_tls_from_configuration_files()
    {
        using var pki = new Pki();
        using var serverHost = MtlsServer(pki);
        await serverHost.StartAsync();
        var tls = serverHost.Services.GetRequiredService<RpcServer>().Options.Tls;
        Assert.NotNull(tls);
        Assert.True(tls.Certificate!.HasPrivateKey);
        Assert.True(tls.ClientCertificateRequired);

        using var clientHost = YamlClient(pki, TestHosts.AddressOf(serverHost), pki.CaPem);
        await clientHost.StartAsync();

        Assert.Equal("secure mtls", await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("mtls"));

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Client_that_trusts_another_ca_refuses_the_server()
    {
        using var pki = new Pki();
        using var serverHost = MtlsServer(pki);
        await serverHost.StartAsync();
        using var clientHost = YamlClient(pki, TestHosts.AddressOf(serverHost), pki.OtherCaPem);
        await clientHost.StartAsync();

        await Assert.ThrowsAsync<RpcException>(async () => await clientHost.Services.GetRequiredService<IGreeter>().EchoAsync("x"));

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }
}
