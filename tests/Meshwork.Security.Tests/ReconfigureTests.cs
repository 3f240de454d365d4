using System.Security.Cryptography;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;
using Meshwork.Security.Client;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Tests;

/// <summary>
/// <see cref="SecurityMiddleware.Reconfigure"/> (what a configuration reload calls): new keys and policies apply to the
/// next call of a running server, an invalid change changes nothing, and no reload lets a signed call be replayed.
/// </summary>
public class ReconfigureTests
{
    private static readonly byte[] Secret1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Secret2 = RandomNumberGenerator.GetBytes(32);

    private static SecurityOptions Options(int replayCapacity, params HmacKey[] keys)
    {
        var options = new SecurityOptions { Hmac = new HmacAuthenticationOptions { Keys = new HmacKeyRing(keys), ReplayCacheCapacity = replayCapacity } };
        options.Methods.Add("Health/*", AuthorizationPolicy.AllowAnonymous);
        return options;
    }

    private static HmacKey Key(string id, byte[] secret) => new() { Id = id, Secret = secret, Name = "svc-" + id };

    private sealed class HeaderTap : IClientMiddleware
    {
        public readonly List<string> Sent = new();

        public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            lock (Sent) Sent.Add(context.Headers.Get("authorization") ?? "");
            return next(context);
        }
    }

    [Fact]
    public async Task New_keys_and_policies_apply_to_the_next_call_and_an_invalid_change_keeps_the_old_ones()
    {
        await using var server = await SecureServer.StartAsync(Options(100_000, Key("k1", Secret1)));
        var k1 = server.Channel(new HmacCallCredentials("k1", Secret1));
        var k2 = server.Channel(new HmacCallCredentials("k2", Secret2));
        var anonymous = server.Channel();
        Assert.Equal("svc-k1|HMAC|", await k1.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal("healthy (anonymous)", await anonymous.UnaryAsync(SecuredService.Check, ""));

        // Rotation through new options: k2 replaces k1, and Health now needs a caller.
        var rotated = Options(100_000, Key("k2", Secret2));
        rotated.Methods = new MethodPolicies();
        server.Security.Reconfigure(rotated);
        Assert.Equal("svc-k2|HMAC|", await k2.UnaryAsync(SecuredService.WhoAmI, ""));
        var old = await Assert.ThrowsAsync<RpcException>(async () => await k1.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, old.Status);
        Assert.Contains("'k1' is not accepted", old.Message, StringComparison.Ordinal);
        var health = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.UnaryAsync(SecuredService.Check, ""));
        Assert.Equal(StatusCode.Unauthenticated, health.Status);

        // Invalid: no key at all. Refused with the setting named; k2 still works.
        var invalid = new SecurityOptions { Hmac = new HmacAuthenticationOptions() };
        var e = Assert.Throws<InvalidOptionException>(() => server.Security.Reconfigure(invalid));
        Assert.Contains("Hmac.Keys", e.Message, StringComparison.Ordinal);
        Assert.Equal("svc-k2|HMAC|", await k2.UnaryAsync(SecuredService.WhoAmI, ""));
        // The counters carried on across the changes.
        Assert.Equal(1, server.Security.Counters[SecurityFailure.UnknownKey]);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.MissingCredentials]);
    }

    private static SecurityOptions Bearer(string token, TimeSpan failureLogInterval) => new()
    {
        Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = token, Name = "good" } } },
        FailureLogInterval = failureLogInterval,
    };

    [Fact]
    public async Task A_reload_keeps_the_refusal_log_limiter_so_a_client_flooding_bad_credentials_gets_no_fresh_lines()
    {
        var log = new CapturedLog();
        var clock = new ManualClock();
        var interval = TimeSpan.FromSeconds(10);
        await using var server = await SecureServer.StartAsync(Bearer("good-token-1-0123456789", interval), logs: log, clock: clock);
        var attacker = server.Channel(new BearerTokenCredentials("bad-token-0123456789"));

        async Task RefusedAsync(int calls)
        {
            for (int i = 0; i < calls; i++)
            {
                var e = await Assert.ThrowsAsync<RpcException>(async () => await attacker.UnaryAsync(SecuredService.WhoAmI, ""));
                Assert.Equal(StatusCode.Unauthenticated, e.Status);
            }
        }

        await RefusedAsync(3);
        Assert.Single(log.WithEventId(5000));

        // A reload (the token rotated, the interval the same) within the interval: the attacker's refusals stay
        // suppressed; a new limiter would log the first of them again.
        server.Security.Reconfigure(Bearer("good-token-2-0123456789", interval));
        await RefusedAsync(4);
        Assert.Single(log.WithEventId(5000));

        // Once the interval has passed, the next line counts what was suppressed on both sides of the reload.
        clock.Advance(interval);
        await RefusedAsync(1);
        var lines = log.WithEventId(5000);
        Assert.Equal(2, lines.Count);
        Assert.Contains("(6 more InvalidToken refusals from 127.0.0.1 not logged", lines[1].Message, StringComparison.Ordinal);
        Assert.Equal(8, server.Security.Counters[SecurityFailure.InvalidToken]);

        // A changed FailureLogInterval starts a new limiter (its interval is fixed): the next refusal is logged.
        server.Security.Reconfigure(Bearer("good-token-2-0123456789", TimeSpan.FromSeconds(20)));
        await RefusedAsync(2);
        Assert.Equal(3, log.WithEventId(5000).Count);
    }

    [Theory]
    [InlineData(100_000, "nonce was already used")] // same capacity: the replay cache carries over
    [InlineData(50_000, "older than the server's replay window")] // new capacity: a new cache refuses calls signed before the change
    public async Task A_call_signed_before_a_reload_cannot_be_replayed_after_it(int newCapacity, string refusal)
    {
        await using var server = await SecureServer.StartAsync(Options(100_000, Key("k1", Secret1)));
        var tap = new HeaderTap();
        var signer = server.Channel(new HmacCallCredentials("k1", Secret1), o => o.Middleware.Add(tap));
        Assert.Equal("svc-k1|HMAC|", await signer.UnaryAsync(SecuredService.WhoAmI, ""));

        server.Security.Reconfigure(Options(newCapacity, Key("k1", Secret1), Key("k2", Secret2)));

        var attacker = server.Channel();
        var replay = new CallOptions { Headers = new Metadata { { "authorization", tap.Sent[0] } } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await attacker.UnaryAsync(SecuredService.WhoAmI, "", replay));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Contains(refusal, ex.Message, StringComparison.Ordinal);
        // A freshly signed call still passes.
        Assert.Equal("svc-k1|HMAC|", await signer.UnaryAsync(SecuredService.WhoAmI, ""));
    }
}
