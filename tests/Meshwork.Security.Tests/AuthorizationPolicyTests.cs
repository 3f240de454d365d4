using System.Security.Claims;
using Meshwork.Rpc;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;
using Meshwork.Security.Client;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Tests;

public class AuthorizationPolicyTests
{
    private const string UserToken = "user-token-0123456789abcdef";
    private const string AdminToken = "admin-token-0123456789abcdef";
    private const string AuditorToken = "auditor-token-0123456789abcdef";

    private static SecurityOptions Options(MethodPolicies methods) => new()
    {
        Bearer = new BearerTokenOptions
        {
            Tokens =
            {
                new StaticBearerToken { Token = UserToken, Name = "user" },
                new StaticBearerToken { Token = AdminToken, Name = "root", Roles = { "admin" } },
                new StaticBearerToken { Token = AuditorToken, Name = "auditor", Roles = { "audit" } },
            },
        },
        Methods = methods,
    };

    private static MethodPolicies Standard() => new MethodPolicies()
        .Add("Health/*", AuthorizationPolicy.AllowAnonymous)
        .Add("Admin/*", AuthorizationPolicy.RequireRole("admin"))
        .Add("Admin/Status", AuthorizationPolicy.RequireRole("admin", "audit"));

    [Fact]
    public async Task An_anonymous_method_is_open_and_an_admin_method_is_refused_without_the_role()
    {
        await using var server = await SecureServer.StartAsync(Options(Standard()));
        Assert.Equal("healthy (anonymous)", await server.Channel().UnaryAsync(SecuredService.Check, ""));
        // Credentials are still read on an anonymous method.
        Assert.Equal("healthy (user)", await server.Channel(new BearerTokenCredentials(UserToken)).UnaryAsync(SecuredService.Check, ""));

        var user = server.Channel(new BearerTokenCredentials(UserToken));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await user.UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Equal("caller 'user' (Bearer) may not call Admin/Reset: it requires role 'admin'", ex.Message);
        ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel().UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);

        Assert.Equal("reset by root", await server.Channel(new BearerTokenCredentials(AdminToken)).UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(1, server.Security.Counters[SecurityFailure.Forbidden]);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.MissingCredentials]);
        Assert.Equal(1, server.Security.Counters.Anonymous);
        Assert.Equal(2, server.Security.Counters.Authenticated);
    }

    [Fact]
    public async Task An_exact_rule_beats_a_service_wildcard()
    {
        await using var server = await SecureServer.StartAsync(Options(Standard()));
        var auditor = server.Channel(new BearerTokenCredentials(AuditorToken));
        Assert.Equal("ok", await auditor.UnaryAsync(SecuredService.Status, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await auditor.UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
    }

    [Fact]
    public async Task Methods_without_a_rule_require_an_authenticated_caller_by_default()
    {
        await using var server = await SecureServer.StartAsync(Options(Standard()));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel().UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal("user|Bearer|", await server.Channel(new BearerTokenCredentials(UserToken)).UnaryAsync(SecuredService.WhoAmI, ""));
    }

    [Fact]
    public async Task The_default_policy_can_open_every_unlisted_method()
    {
        var methods = new MethodPolicies { Default = AuthorizationPolicy.AllowAnonymous }.Add("Admin/*", AuthorizationPolicy.RequireRole("admin"));
        await using var server = await SecureServer.StartAsync(Options(methods));
        Assert.Equal("anonymous", await server.Channel().UnaryAsync(SecuredService.WhoAmI, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel().UnaryAsync(SecuredService.Reset, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
    }

    [Fact]
    public async Task Claim_and_predicate_policies_decide_per_method()
    {
        var methods = new MethodPolicies()
            .Add("Greeter/WhoAmI", AuthorizationPolicy.RequireClaim(ClaimTypes.Name, "root", "auditor"))
            .Add("Greeter/Cl*", AuthorizationPolicy.Require("a request for the caller's own name claim",
                (user, ctx) => ctx.Request is string type && type == ClaimTypes.Name));
        await using var server = await SecureServer.StartAsync(Options(methods));
        var user = server.Channel(new BearerTokenCredentials(UserToken));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await user.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Contains($"a '{ClaimTypes.Name}' claim of 'root' or 'auditor'", ex.Message);
        Assert.Equal("auditor|Bearer|audit", await server.Channel(new BearerTokenCredentials(AuditorToken)).UnaryAsync(SecuredService.WhoAmI, ""));

        Assert.Equal("user", await user.UnaryAsync(SecuredService.Claim, ClaimTypes.Name));
        ex = await Assert.ThrowsAsync<RpcException>(async () => await user.UnaryAsync(SecuredService.Claim, ClaimTypes.Role));
        Assert.Equal(StatusCode.PermissionDenied, ex.Status);
        Assert.Contains("a request for the caller's own name claim", ex.Message);
    }

    [Theory]
    [InlineData("Billing", "Refund", "exact")]
    [InlineData("Billing", "GetInvoice", "get")]
    [InlineData("Billing", "Void", "service")]
    [InlineData("Health", "Check", "health")]
    [InlineData("Inventory", "Check", "health")]
    [InlineData("Inventory", "List", "default")]
    public void The_most_specific_rule_applies(string service, string method, string expected)
    {
        var policies = new Dictionary<string, AuthorizationPolicy>
        {
            ["exact"] = AuthorizationPolicy.RequireRole("exact"),
            ["get"] = AuthorizationPolicy.RequireRole("get"),
            ["service"] = AuthorizationPolicy.RequireRole("service"),
            ["health"] = AuthorizationPolicy.RequireRole("health"),
            ["default"] = AuthorizationPolicy.RequireRole("default"),
        };
        var rules = new MethodPolicies { Default = policies["default"] }
            .Add("Billing/*", policies["service"])
            .Add("*/Check", policies["health"])
            .Add("Billing/Get*", policies["get"])
            .Add("Billing/Refund", policies["exact"]);
        Assert.Same(policies[expected], rules.Resolve(service, method));
    }

    [Theory]
    [InlineData("Billing")]
    [InlineData("/Refund")]
    [InlineData("Billing/")]
    [InlineData("a/b/c")]
    [InlineData("Billing/Re fund")]
    public void A_malformed_pattern_is_refused_with_a_clear_error(string pattern)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MethodPolicies().Add(pattern, AuthorizationPolicy.AllowAnonymous));
        Assert.Contains($"'{pattern}'", ex.Message);
    }
}
