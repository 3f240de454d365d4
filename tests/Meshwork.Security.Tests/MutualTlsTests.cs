using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Transport;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;
using static Meshwork.Security.Tests.TestCertificates;

namespace Meshwork.Security.Tests;

public sealed class MutualTlsTests : IDisposable
{
    private readonly X509Certificate2 _ca = CreateCa();
    private readonly X509Certificate2 _serverCertificate;

    public MutualTlsTests() => _serverCertificate = Issue(_ca, "meshwork-server", ServerAuth);

    public void Dispose()
    {
        _serverCertificate.Dispose();
        _ca.Dispose();
    }

    private Task<SecureServer> StartAsync(SecurityOptions? security = null) => SecureServer.StartAsync(
        security ?? new SecurityOptions
        {
            ClientCertificates = new ClientCertificateAuthenticationOptions { RolesByName = { ["billing-admin"] = ["admin"] } },
            Methods = new MethodPolicies().Add("Admin/*", AuthorizationPolicy.RequireRole("admin")),
        },
        server: o => o.Tls = new TlsServerOptions { Certificate = _serverCertificate }
            .RequireClientCertificates(new ClientCertificateTrustOptions { TrustedRoots = { _ca } }));

    private Rpc.Client.RpcChannel Channel(SecureServer server, X509Certificate2? clientCertificate) => server.Channel(client: o =>
    {
        o.Tls = new TlsClientOptions
        {
            TargetHost = "localhost",
            ClientCertificate = clientCertificate,
            ServerCertificateValidation = (_, cert, _, _) => ChainsTo(_ca, cert),
        };
        o.ConnectTimeout = TimeSpan.FromSeconds(10);
    });

    [Fact]
    public async Task The_client_certificate_identity_becomes_the_callers_principal()
    {
        var spiffe = new Uri("spiffe://mesh.example/ns/prod/sa/billing");
        using var client = Issue(_ca, "billing", ClientAuth, dnsNames: ["billing.prod.svc", "billing.local"], uris: [spiffe]);
        await using var server = await StartAsync();
        var channel = Channel(server, client);

        Assert.Equal("billing|mTLS|", await channel.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal("billing.prod.svc,billing.local", await channel.UnaryAsync(SecuredService.Claim, ClaimTypes.Dns));
        Assert.Equal(spiffe.ToString(), await channel.UnaryAsync(SecuredService.Claim, ClaimTypes.Uri));
        Assert.Equal(client.GetCertHashString(HashAlgorithmName.SHA256), await channel.UnaryAsync(SecuredService.Claim, SecurityClaimTypes.CertificateThumbprintSha256));
        Assert.Equal("CN=billing, O=Meshwork Tests", await channel.UnaryAsync(SecuredService.Claim, SecurityClaimTypes.CertificateSubject));
        Assert.Equal(_ca.Subject, await channel.UnaryAsync(SecuredService.Claim, SecurityClaimTypes.CertificateIssuer));
    }

    [Fact]
    public async Task Roles_mapped_to_a_certificate_name_satisfy_role_policies()
    {
        using var admin = Issue(_ca, "billing-admin", ClientAuth);
        using var plain = Issue(_ca, "billing", ClientAuth);
        await using var server = await StartAsync();
        Assert.Equal("reset by billing-admin", await Channel(server, admin).UnaryAsync(SecuredService.Reset, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Channel(server, plain).UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Contains("role 'admin'", ex.Message);
    }

    [Fact]
    public async Task Without_a_client_certificate_the_connection_is_refused_when_certificates_are_required()
    {
        await using var server = await StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Channel(server, clientCertificate: null).UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Timeout = TimeSpan.FromSeconds(10) }));
        Assert.True(ex.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, ex.ToString());
        await Eventually.TrueAsync(() => server.Server.ProtocolErrors[ProtocolErrorKind.TlsHandshakeFailed] >= 1, "the refused handshake is counted");
        Assert.Equal(0, server.Calls.Handled);
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_or_for_servers_only_is_refused()
    {
        using var otherCa = CreateCa("Some Other CA");
        using var foreign = Issue(otherCa, "billing", ClientAuth);
        using var serverOnly = Issue(_ca, "billing", ServerAuth);
        await using var server = await StartAsync();
        foreach (var certificate in new[] { foreign, serverOnly })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(async () =>
                await Channel(server, certificate).UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Timeout = TimeSpan.FromSeconds(10) }));
            Assert.True(ex.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, ex.ToString());
        }
        await Eventually.TrueAsync(() => server.Server.ProtocolErrors[ProtocolErrorKind.TlsHandshakeFailed] >= 2, "both refused handshakes are counted");
        Assert.Equal(0, server.Calls.Handled);
    }

    [Fact]
    public async Task Requested_but_optional_certificates_let_token_callers_and_certificate_callers_share_a_port()
    {
        using var client = Issue(_ca, "billing", ClientAuth);
        using var otherCa = CreateCa("Some Other CA");
        using var foreign = Issue(otherCa, "billing", ClientAuth);
        await using var server = await SecureServer.StartAsync(
            new SecurityOptions
            {
                Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = "dave-token-0123456789", Name = "dave" } } },
                ClientCertificates = new ClientCertificateAuthenticationOptions(),
            },
            server: o => o.Tls = new TlsServerOptions { Certificate = _serverCertificate }
                .RequestClientCertificates(new ClientCertificateTrustOptions { TrustedRoots = { _ca } }));

        Assert.Equal("billing|mTLS|", await Channel(server, client).UnaryAsync(SecuredService.WhoAmI, ""));
        var tokenOnly = Channel(server, clientCertificate: null);
        var headers = new Metadata { { "authorization", "Bearer dave-token-0123456789" } };
        Assert.Equal("dave|Bearer|", await tokenOnly.UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Headers = headers }));
        // Connected without a certificate, so a call without a token has no identity at all.
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await tokenOnly.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        // A certificate that is sent must still be trusted.
        ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Channel(server, foreign).UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Timeout = TimeSpan.FromSeconds(10) }));
        Assert.True(ex.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded, ex.ToString());
    }

    [Fact]
    public void Requesting_certificates_without_a_callback_is_an_option_error()
    {
        var options = new Rpc.Server.RpcServerOptions
        {
            Endpoints = { "127.0.0.1:0" },
            Tls = new TlsServerOptions { Certificate = _serverCertificate, RequestClientCertificate = true },
        };
        var ex = Assert.Throws<InvalidOptionException>(options.Validate);
        Assert.Equal("Tls.ClientCertificateValidation", ex.OptionPath);
    }

    [Fact]
    public async Task A_token_and_a_certificate_together_give_a_principal_with_both_identities()
    {
        using var client = Issue(_ca, "billing", ClientAuth);
        await using var server = await StartAsync(new SecurityOptions
        {
            Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = "dave-token-0123456789", Name = "dave" } } },
            ClientCertificates = new ClientCertificateAuthenticationOptions(),
            Methods = new MethodPolicies().Add("Greeter/*", AuthorizationPolicy.RequireScheme("mTLS").And(AuthorizationPolicy.RequireScheme("Bearer"))),
        });
        var channel = Channel(server, client);
        var headers = new Metadata { { "authorization", "Bearer dave-token-0123456789" } };
        Assert.Equal("dave|Bearer+mTLS|", await channel.UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Headers = headers }));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Contains("authentication by Bearer", ex.Message);
    }
}
