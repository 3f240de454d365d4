using System.Security.Claims;
using Meshwork.Rpc;
using Meshwork.Security.Authentication;
using Meshwork.Security.Client;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Tests;

public class BearerTokenTests
{
    private const string AliceToken = "alice-token-0123456789abcdef";
    private const string OpsToken = "ops-token-0123456789abcdef";

    private static SecurityOptions Options(BearerTokenValidator? validator = null) => new()
    {
        Bearer = new BearerTokenOptions
        {
            Tokens =
            {
                new StaticBearerToken { Token = AliceToken, Name = "alice" },
                new StaticBearerToken { Token = OpsToken, Name = "ops", Roles = { "admin", "oncall" } },
            },
            Validator = validator,
        },
    };

    [Fact]
    public async Task A_known_token_authenticates_the_caller_and_the_handler_sees_its_principal()
    {
        await using var server = await SecureServer.StartAsync(Options());
        var ops = server.Channel(new BearerTokenCredentials(OpsToken));
        Assert.Equal("ops|Bearer|admin,oncall", await ops.UnaryAsync(SecuredService.WhoAmI, ""));
        var alice = server.Channel(new BearerTokenCredentials(AliceToken));
        Assert.Equal("alice|Bearer|", await alice.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(2, server.Security.Counters.Authenticated);
        Assert.Equal(0, server.Security.Counters.TotalFailures);
    }

    [Fact]
    public async Task A_call_without_a_token_is_Unauthenticated_and_counted()
    {
        await using var server = await SecureServer.StartAsync(Options());
        var anonymous = server.Channel();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Contains("Greeter/WhoAmI requires an authenticated caller", ex.Message);
        Assert.Contains("Bearer", ex.Message);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.MissingCredentials]);
        Assert.Equal(0, server.Calls.Handled);
    }

    [Fact]
    public async Task A_wrong_token_is_Unauthenticated_and_the_answer_does_not_echo_it()
    {
        var log = new CapturedLog();
        await using var server = await SecureServer.StartAsync(Options(), logs: log);
        const string wrong = "mallory-guess-0123456789";
        var mallory = server.Channel(new BearerTokenCredentials(wrong));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await mallory.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal("the bearer token is not valid", ex.Message);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.InvalidToken]);
        Assert.Equal(0, server.Calls.Handled);
        var refused = Assert.Single(log.WithEventId(5000));
        Assert.Contains("InvalidToken", refused.Message);
        Assert.DoesNotContain(wrong, refused.Message);
        Assert.Null(refused.Exception);
    }

    [Fact]
    public async Task A_header_with_an_unknown_scheme_is_refused_without_echoing_the_header()
    {
        await using var server = await SecureServer.StartAsync(Options());
        var channel = server.Channel();
        var headers = new Metadata { { "authorization", AliceToken } }; // a bare token, no scheme
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await channel.UnaryAsync(SecuredService.WhoAmI, "", new CallOptions { Headers = headers }));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.DoesNotContain(AliceToken, ex.Message);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.UnsupportedScheme]);
    }

    [Fact]
    public async Task A_validator_delegate_accepts_the_tokens_it_knows()
    {
        BearerTokenValidator validator = (token, ctx) => new ValueTask<ClaimsIdentity?>(token == "issued-by-idp-0123456789"
            ? new ClaimsIdentity([new Claim(ClaimTypes.Name, "carol"), new Claim(ClaimTypes.Role, "reader")], "Bearer")
            : null);
        await using var server = await SecureServer.StartAsync(Options(validator));
        Assert.Equal("carol|Bearer|reader", await server.Channel(new BearerTokenCredentials("issued-by-idp-0123456789")).UnaryAsync(SecuredService.WhoAmI, ""));
        // Static tokens are still accepted next to the validator.
        Assert.Equal("alice|Bearer|", await server.Channel(new BearerTokenCredentials(AliceToken)).UnaryAsync(SecuredService.WhoAmI, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Channel(new BearerTokenCredentials("not-issued-0123456789")).UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
    }

    [Fact]
    public async Task A_validator_that_throws_answers_Unavailable_without_its_details_and_is_counted()
    {
        BearerTokenValidator validator = (_, _) => throw new InvalidOperationException("idp connection string: secret=hunter2");
        await using var server = await SecureServer.StartAsync(Options(validator));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Channel(new BearerTokenCredentials("any-token-0123456789")).UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.DoesNotContain("hunter2", ex.Message);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.ValidatorFailed]);
    }

    [Fact]
    public async Task A_token_provider_is_asked_for_each_call()
    {
        int asked = 0;
        await using var server = await SecureServer.StartAsync(Options());
        var channel = server.Channel(new BearerTokenCredentials(_ =>
        {
            Interlocked.Increment(ref asked);
            return new ValueTask<string>(AliceToken);
        }));
        for (int i = 0; i < 3; i++) Assert.Equal("alice|Bearer|", await channel.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(3, asked);
    }

    [Fact]
    public async Task Streaming_calls_are_authenticated_too()
    {
        await using var server = await SecureServer.StartAsync(Options());
        var items = new List<int>();
        await foreach (var i in server.Channel(new BearerTokenCredentials(AliceToken)).ServerStreaming(SecuredService.Count, 5)) items.Add(i);
        Assert.Equal([0, 1, 2, 3, 4], items);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in server.Channel().ServerStreaming(SecuredService.Count, 5))
            {
            }
        });
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal(1, server.Calls.Handled);
    }

    [Fact]
    public async Task One_way_calls_are_checked_and_a_refused_one_is_counted()
    {
        await using var server = await SecureServer.StartAsync(Options());
        await server.Channel().OneWayAsync(SecuredService.Notify, "from nobody");
        await Eventually.TrueAsync(() => server.Security.Counters[SecurityFailure.MissingCredentials] == 1, "the refused one-way call is counted");
        await server.Channel(new BearerTokenCredentials(AliceToken)).OneWayAsync(SecuredService.Notify, "from alice");
        await Eventually.TrueAsync(() => server.Calls.Handled == 1, "alice's one-way call reaches the handler");
        Assert.Equal(1, server.Security.Counters.Authenticated);
    }
}
