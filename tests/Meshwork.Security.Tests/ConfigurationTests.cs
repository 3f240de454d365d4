using System.Security.Cryptography;
using System.Text;
using Meshwork.Rpc;
using Meshwork.Security.Client;
using Meshwork.Security.Configuration;
using Meshwork.Security.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Security.Tests;

public class ConfigurationTests
{
    private static IConfigurationSection Section(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("Security");

    private static SecurityConfigurationException Invalid(string json) =>
        Assert.Throws<SecurityConfigurationException>(() => SecurityConfiguration.Read(Section(json)));

    [Fact]
    public async Task A_security_section_configures_a_running_server()
    {
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var options = SecurityConfiguration.Read(Section($$"""
            {
              "Security": {
                "FailureLogInterval": "30s",
                "Bearer": { "Tokens": [ { "Token": "ops-token-0123456789", "Name": "ops", "Roles": [ "admin" ] },
                                        { "Token": "app-token-0123456789", "Name": "app" } ] },
                "Hmac": { "MaxClockSkew": "2m", "ReplayCacheCapacity": 5000,
                          "Keys": [ { "Id": "k1", "Secret": "{{Convert.ToBase64String(secret)}}", "Name": "billing", "Roles": [ "writer" ] } ] },
                "Methods": {
                  "Health/*": "Anonymous",
                  "Admin/*": { "Roles": [ "admin" ] },
                  "Admin/Status": { "Claims": [ { "Type": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "Values": [ "billing" ] } ], "Schemes": [ "HMAC" ] }
                }
              }
            }
            """));
        Assert.Equal(TimeSpan.FromSeconds(30), options.FailureLogInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Hmac!.MaxClockSkew);
        Assert.Equal(5000, options.Hmac.ReplayCacheCapacity);

        await using var server = await SecureServer.StartAsync(options);
        Assert.Equal("healthy (anonymous)", await server.Channel().UnaryAsync(SecuredService.Check, ""));
        Assert.Equal("reset by ops", await server.Channel(new BearerTokenCredentials("ops-token-0123456789")).UnaryAsync(SecuredService.Reset, ""));
        var app = server.Channel(new BearerTokenCredentials("app-token-0123456789"));
        Assert.Equal("app|Bearer|", await app.UnaryAsync(SecuredService.WhoAmI, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await app.UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Equal("ok", await server.Channel(new HmacCallCredentials("k1", secret)).UnaryAsync(SecuredService.Status, ""));
        ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel(new BearerTokenCredentials("ops-token-0123456789")).UnaryAsync(SecuredService.Status, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Equal(2, server.Security.Counters[SecurityFailure.Forbidden]);
    }

    [Fact]
    public void Default_policy_and_client_certificates_are_read()
    {
        var options = SecurityConfiguration.Read(Section("""
            { "Security": { "DefaultPolicy": "Anonymous", "ClientCertificates": { "Enabled": true, "RolesByName": { "ops": [ "admin" ] } } } }
            """));
        Assert.True(options.Methods.Default.AllowsAnonymous);
        Assert.Equal(["admin"], options.ClientCertificates!.RolesByName["ops"]);
        options = SecurityConfiguration.Read(Section("""{ "Security": { "DefaultPolicy": "Anonymous", "ClientCertificates": { "Enabled": false } } }"""));
        Assert.Null(options.ClientCertificates);
    }

    [Theory]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "0123456789abcdef", "Name": "x" } ] }, "Methds": { } } }""", "Security:Methds")]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "0123456789abcdef", "Nmae": "x" } ] } } }""", "Security:Bearer:Tokens:0:Nmae")]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "0123456789abcdef", "Name": "x" } ] }, "Methods": { "Billing": "Anonymous" } } }""", "Security:Methods:Billing")]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "0123456789abcdef", "Name": "x" } ] }, "Methods": { "A/*": "Everyone" } } }""", "Security:Methods:A/*")]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "0123456789abcdef", "Name": "x" } ] }, "FailureLogInterval": "soon" } }""", "Security:FailureLogInterval")]
    [InlineData("""{ "Security": { "Hmac": { "MaxClockSkew": "-1s", "Keys": [ ] } } }""", "Security:Hmac:MaxClockSkew")]
    [InlineData("""{ "Security": { "Hmac": { "Keys": [ { "Id": "k1", "Secret": "AAAA" } ] } } }""", "Security:Hmac:Keys:0:Secret")]
    [InlineData("""{ "Security": { "Bearer": { "Tokens": [ { "Token": "short", "Name": "x" } ] } } }""", "Security:Bearer:Tokens:0:Token")]
    [InlineData("""{ "Security": { "Methods": { "A/*": { "Roles": [ "admin" ] } } } }""", "Security:Bearer")]
    public void Bad_values_are_errors_that_name_their_key(string json, string key)
    {
        var ex = Invalid(json);
        Assert.Equal(key, ex.Key);
        Assert.StartsWith(key + ": ", ex.Message);
    }

    [Fact]
    public void A_secret_that_is_not_base64_is_refused_without_quoting_it()
    {
        var ex = Invalid("""{ "Security": { "Hmac": { "Keys": [ { "Id": "k1", "Secret": "hunter2-is-not-base64!" } ] } } }""");
        Assert.Equal("Security:Hmac:Keys:0:Secret", ex.Key);
        Assert.DoesNotContain("hunter2", ex.Message);
    }
}
