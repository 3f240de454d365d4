using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc;
using Meshwork.Tars.Tests.Codec;
using Meshwork.Tars.Tests.Echo;

namespace Meshwork.Tars.Tests.Transport;

/// <summary>
/// Meshwork TARS client and server over an ssl endpoint (TLS over TCP), with certificates made in the test by a
/// throw-away authority no machine trusts (so the default validation must refuse them and tests pin them instead).
/// </summary>
public sealed class TlsTests
{
    private static readonly X509Certificate2 Authority = TestCertificates.CreateAuthority("meshwork-tars-test-ca");
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.IssueNode(Authority, "localhost");
    private static readonly X509Certificate2 ClientCertificate = TestCertificates.IssueNode(Authority, "meshwork-tars-client");

    private const string WhoObject = "MeshTest.TlsServer.WhoObj";

    private static async Task<string> WhoAsync(TarsChannel channel)
    {
        var reply = await channel.UnaryAsync(TarsMethods.Unary(WhoObject, "who"), new TarsInvocation());
        return reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadString(t, true));
    }

    private static RemoteCertificateValidationCallback Pin(X509Certificate2 expected) =>
        (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == expected.GetCertHashString();

    private static async Task<(TarsServer Server, EchoService Service, TarsEndpoint Endpoint)> StartAsync(TarsServerTlsOptions? tls = null)
    {
        var service = new EchoService();
        var server = new TarsServer(new TarsServerOptions { Tls = tls ?? new TarsServerTlsOptions { Certificate = ServerCertificate } })
            .AddService(service.Definition())
            .AddService(new TarsServiceDefinition(WhoObject).Add("who", ctx =>
            {
                ctx.Results.WriteReturn("string", ctx.ClientCertificate?.Subject ?? "(none)", static (ref TarsWriter w, int t, string v) => w.WriteString(t, v));
                return ValueTask.CompletedTask;
            }));
        var endpoint = await server.StartAsync("ssl -h 127.0.0.1 -p 0 -t 60000");
        Assert.Equal(TarsTransport.Ssl, endpoint.Transport);
        return (server, service, endpoint);
    }

    [Theory]
    [InlineData(TarsVersion.Tars)]
    [InlineData(TarsVersion.Tup)]
    public async Task Calls_over_ssl_with_a_pinned_self_signed_certificate(short version)
    {
        var (server, _, endpoint) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@{endpoint}", new TarsClientOptions
        {
            Version = version,
            Tls = new TarsClientTlsOptions { ServerCertificateValidation = Pin(ServerCertificate) },
        });
        var client = new EchoClient(channel);
        Assert.Equal("über TLS", await client.EchoAsync("über TLS"));
        Assert.Equal((0, 42), await client.AddAsync(2, 40));
        Assert.Equal("(none)", await WhoAsync(channel));
        var big = new string('x', 200_000);
        Assert.Equal(big, await client.EchoAsync(big));
        var back = await client.MirrorAsync(new Pair { A = 1, Raw = [1, 2] });
        Assert.Equal(new byte[] { 2, 1 }, back.Raw);
        await client.PingAsync();
    }

    [Fact]
    public async Task A_plain_tcp_client_gets_nothing_from_an_ssl_endpoint()
    {
        var (server, service, endpoint) = await StartAsync();
        await using var _s = server;
        await using var plain = TarsChannel.ForProxy($"{EchoService.ObjectName}@tcp -h 127.0.0.1 -p {endpoint.Port} -t 60000");
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(plain).EchoAsync("in clear", new CallOptions { Timeout = TimeSpan.FromSeconds(20) }));
        Assert.True(e.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, e.ToString());
        Assert.Empty(service.Echoed);
        await Eventually.TrueAsync(() => server.MalformedFrames >= 1, "the failed handshake was counted");
    }

    [Fact]
    public async Task The_default_validation_refuses_an_untrusted_certificate()
    {
        var (server, _, endpoint) = await StartAsync();
        await using var _s = server;
        await using var channel = TarsChannel.ForProxy($"{EchoService.ObjectName}@{endpoint}");
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(channel).EchoAsync("x"));
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Equal(TarsReturnCode.ProxyConnectError, e.GetTarsReturnCode());
        Assert.Contains("TLS handshake", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutual_tls_requires_and_checks_the_client_certificate()
    {
        var (server, _, endpoint) = await StartAsync(new TarsServerTlsOptions
        {
            Certificate = ServerCertificate,
            ClientCertificateRequired = true,
            ClientCertificateValidation = Pin(ClientCertificate),
        });
        await using var _s = server;
        string proxy = $"{EchoService.ObjectName}@{endpoint}";
        await using var withCertificate = TarsChannel.ForProxy(proxy, new TarsClientOptions
        {
            Tls = new TarsClientTlsOptions { ServerCertificateValidation = Pin(ServerCertificate), ClientCertificates = [ClientCertificate] },
        });
        Assert.Equal("mutual", await new EchoClient(withCertificate).EchoAsync("mutual"));
        Assert.Equal(ClientCertificate.Subject, await WhoAsync(withCertificate)); // the handler sees who called

        await using var without = TarsChannel.ForProxy(proxy, new TarsClientOptions
        {
            Tls = new TarsClientTlsOptions { ServerCertificateValidation = Pin(ServerCertificate) },
        });
        var e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(without).EchoAsync("no certificate", new CallOptions { Timeout = TimeSpan.FromSeconds(20) }));
        Assert.True(e.Status is StatusCode.Unavailable, e.ToString());

        await using var stranger = TarsChannel.ForProxy(proxy, new TarsClientOptions
        {
            Tls = new TarsClientTlsOptions { ServerCertificateValidation = Pin(ServerCertificate), ClientCertificates = [TestCertificates.IssueNode(TestCertificates.CreateAuthority("other-ca"), "stranger")] },
        });
        e = await Assert.ThrowsAsync<RpcException>(() => new EchoClient(stranger).EchoAsync("wrong certificate", new CallOptions { Timeout = TimeSpan.FromSeconds(20) }));
        Assert.True(e.Status is StatusCode.Unavailable, e.ToString());
    }

    [Fact]
    public async Task An_ssl_endpoint_without_a_certificate_is_refused_at_start()
    {
        await using var server = new TarsServer().AddService(new EchoService().Definition());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync("ssl -h 127.0.0.1 -p 0"));
        Assert.Contains("TarsServerOptions.Tls.Certificate", e.Message, StringComparison.Ordinal);
    }
}
