using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;

namespace Meshwork.Security.Tests;

public class OptionsTests
{
    private static InvalidOptionException Invalid(SecurityOptions options) => Assert.Throws<InvalidOptionException>(() => new SecurityMiddleware(options));

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new SecurityOptions();
        Assert.Null(options.Bearer);
        Assert.Null(options.Hmac);
        Assert.Null(options.ClientCertificates);
        Assert.Same(AuthorizationPolicy.RequireAuthenticated, options.Methods.Default);
        Assert.Equal(TimeSpan.FromSeconds(10), options.FailureLogInterval);
        var hmac = new HmacAuthenticationOptions();
        Assert.Equal(TimeSpan.FromMinutes(1), hmac.MaxClockSkew);
        Assert.Equal(100_000, hmac.ReplayCacheCapacity);
        Assert.Equal(8192, new BearerTokenOptions().MaxTokenLength);
        Assert.True(new ClientCertificateTrustOptions().RequireClientAuthenticationUsage);
    }

    [Fact]
    public void Security_without_any_authenticator_is_refused_unless_everything_is_anonymous()
    {
        var ex = Invalid(new SecurityOptions());
        Assert.Contains("no authenticator is configured", ex.Message);
        _ = new SecurityMiddleware(new SecurityOptions { Methods = new MethodPolicies { Default = AuthorizationPolicy.AllowAnonymous } });
    }

    [Fact]
    public void A_short_static_token_is_refused_without_showing_it()
    {
        var ex = Invalid(new SecurityOptions { Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = "short-secret", Name = "x" } } } });
        Assert.Equal("SecurityOptions.Bearer.Tokens[0].Token: must have at least 16 characters", ex.Message);
        Assert.DoesNotContain("short-secret", ex.ToString());
    }

    [Fact]
    public void A_static_token_without_a_name_is_refused()
    {
        var ex = Invalid(new SecurityOptions { Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = "0123456789abcdef0123" } } } });
        Assert.Equal("Bearer.Tokens[0].Name", ex.OptionPath);
    }

    [Fact]
    public void Hmac_keys_and_limits_are_checked()
    {
        var ex = Assert.Throws<InvalidOptionException>(() => new HmacKeyRing([new HmacKey { Id = "k1", Secret = new byte[16] }]));
        Assert.Contains("at least 32 bytes (was 16)", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new HmacKeyRing([new HmacKey { Id = "bad id", Secret = new byte[32] }]));
        Assert.Contains("letters, digits", ex.Message);
        Assert.Throws<ArgumentException>(() => new HmacKeyRing([new HmacKey { Id = "k", Secret = new byte[32] }, new HmacKey { Id = "k", Secret = new byte[32] }]));

        ex = Invalid(new SecurityOptions { Hmac = new HmacAuthenticationOptions() });
        Assert.Equal("Hmac.Keys", ex.OptionPath);
        var keys = new HmacKeyRing([new HmacKey { Id = "k", Secret = new byte[32] }]);
        ex = Invalid(new SecurityOptions { Hmac = new HmacAuthenticationOptions { Keys = keys, MaxClockSkew = TimeSpan.Zero } });
        Assert.Equal("Hmac.MaxClockSkew", ex.OptionPath);
        ex = Invalid(new SecurityOptions { Hmac = new HmacAuthenticationOptions { Keys = keys, ReplayCacheCapacity = 10 } });
        Assert.Equal("Hmac.ReplayCacheCapacity", ex.OptionPath);
    }

    [Fact]
    public void Two_authenticators_for_one_scheme_are_refused()
    {
        var options = new SecurityOptions { Bearer = new BearerTokenOptions { Validator = (_, _) => default } };
        options.Authenticators.Add(new BearerTokenAuthenticator(new BearerTokenOptions { Validator = (_, _) => default }));
        var ex = Invalid(options);
        Assert.Contains("'Bearer' is handled by another authenticator", ex.Message);
    }

    [Fact]
    public void Mutual_tls_needs_trusted_roots()
    {
        var ex = Assert.Throws<InvalidOptionException>(() => new Rpc.Transport.TlsServerOptions().RequireClientCertificates(new ClientCertificateTrustOptions()));
        Assert.Equal("TrustedRoots", ex.OptionPath);
    }

    [Fact]
    public void Client_credentials_refuse_bad_input()
    {
        Assert.Throws<ArgumentException>(() => new Client.HmacCallCredentials("k1", new byte[8]));
        Assert.Throws<ArgumentException>(() => new Client.HmacCallCredentials("k 1", new byte[32]));
        Assert.Throws<ArgumentException>(() => new Client.BearerTokenCredentials("two words"));
        Assert.Throws<ArgumentException>(() => new Client.BearerTokenCredentials(""));
    }

    [Fact]
    public async Task Security_options_are_validated_when_added_to_a_server()
    {
        await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        Assert.Throws<InvalidOptionException>(() => server.UseSecurity(new SecurityOptions()));
    }
}
