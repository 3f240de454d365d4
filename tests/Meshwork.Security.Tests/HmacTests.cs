using System.Security.Cryptography;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Security.Authentication;
using Meshwork.Security.Client;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Tests;

public class HmacTests
{
    private static readonly byte[] Secret1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Secret2 = RandomNumberGenerator.GetBytes(32);

    private static SecurityOptions Options(params HmacKey[] keys) => new() { Hmac = new HmacAuthenticationOptions { Keys = new HmacKeyRing(keys) } };

    private static HmacKey Key(string id, byte[] secret, params string[] roles) => new() { Id = id, Secret = secret, Name = "svc-" + id, Roles = roles };

    /// <summary>Records the authorization header each call was sent with (added after the credentials, so it runs inside them).</summary>
    private sealed class HeaderTap : IClientMiddleware
    {
        public readonly List<string> Sent = new();

        public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
        {
            lock (Sent) Sent.Add(context.Headers.Get("authorization") ?? "");
            return next(context);
        }
    }

    /// <summary>A clock <paramref name="offset"/> away from the real one.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    [Fact]
    public async Task A_signed_call_is_authenticated_as_the_key_owner()
    {
        await using var server = await SecureServer.StartAsync(Options(Key("k1", Secret1, "writer")));
        var channel = server.Channel(new HmacCallCredentials("k1", Secret1));
        Assert.Equal("svc-k1|HMAC|writer", await channel.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal("k1", await channel.UnaryAsync(SecuredService.Claim, SecurityClaimTypes.HmacKeyId));
        Assert.Equal(2, server.Security.Counters.Authenticated);
        Assert.Equal(2, server.Security.Hmac!.RememberedNonces);
    }

    [Fact]
    public async Task A_call_signed_outside_the_clock_skew_is_refused_as_expired()
    {
        await using var server = await SecureServer.StartAsync(Options(Key("k1", Secret1)));
        foreach (var offset in new[] { TimeSpan.FromMinutes(-5), TimeSpan.FromMinutes(5) })
        {
            var skewed = server.Channel(new HmacCallCredentials("k1", Secret1, new ShiftedClock(offset)));
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await skewed.UnaryAsync(SecuredService.WhoAmI, ""));
            Assert.Equal(StatusCode.Unauthenticated, ex.Status);
            Assert.Contains(offset < TimeSpan.Zero ? "behind" : "ahead of", ex.Message);
        }
        Assert.Equal(2, server.Security.Counters[SecurityFailure.Expired]);
        // Within the skew (30 s of a 60 s allowance) the same key works.
        var slightlyOff = server.Channel(new HmacCallCredentials("k1", Secret1, new ShiftedClock(TimeSpan.FromSeconds(-30))));
        Assert.Equal("svc-k1|HMAC|", await slightlyOff.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(1, server.Calls.Handled);
    }

    [Fact]
    public async Task A_replayed_signed_call_is_refused()
    {
        await using var server = await SecureServer.StartAsync(Options(Key("k1", Secret1)));
        var tap = new HeaderTap();
        var signer = server.Channel(new HmacCallCredentials("k1", Secret1), o => o.Middleware.Add(tap));
        Assert.Equal("svc-k1|HMAC|", await signer.UnaryAsync(SecuredService.WhoAmI, ""));

        // An eavesdropper resends the captured header, unchanged, on its own connection.
        var attacker = server.Channel();
        var replay = new CallOptions { Headers = new Metadata { { "authorization", tap.Sent[0] } } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await attacker.UnaryAsync(SecuredService.WhoAmI, "", replay));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Contains("nonce was already used", ex.Message);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.Replayed]);
        Assert.Equal(1, server.Calls.Handled);
    }

    [Fact]
    public async Task A_bad_signature_is_refused_wrong_secret_or_signature_moved_to_another_method()
    {
        await using var server = await SecureServer.StartAsync(Options(Key("k1", Secret1, "admin")));
        var wrongSecret = server.Channel(new HmacCallCredentials("k1", Secret2));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await wrongSecret.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Contains("signature does not match", ex.Message);

        // A valid signature for Greeter/WhoAmI, replayed against Admin/Reset before its nonce was ever used.
        var tap = new HeaderTap();
        var signer = server.Channel(new HmacCallCredentials("k1", Secret1), o =>
        {
            o.Middleware.Add(tap);
            o.Middleware.Add(new DropCall());
        });
        await Assert.ThrowsAsync<RpcException>(async () => await signer.UnaryAsync(SecuredService.WhoAmI, ""));
        var redirected = new CallOptions { Headers = new Metadata { { "authorization", tap.Sent[0] } } };
        ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel().UnaryAsync(SecuredService.Reset, "", redirected));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal(2, server.Security.Counters[SecurityFailure.BadSignature]);
        Assert.Equal(0, server.Calls.Handled);

        // A tampered (truncated) signature is malformed, not a crash.
        var truncated = new CallOptions { Headers = new Metadata { { "authorization", tap.Sent[0][..^5] } } };
        ex = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel().UnaryAsync(SecuredService.WhoAmI, "", truncated));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal(1, server.Security.Counters[SecurityFailure.MalformedCredentials]);
    }

    /// <summary>Answers locally instead of sending: the signed header is captured but never reaches the server.</summary>
    private sealed class DropCall : IClientMiddleware
    {
        public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next) =>
            ValueTask.FromException(new RpcException(StatusCode.Cancelled, "dropped by the test"));
    }

    [Fact]
    public async Task Keys_rotate_while_the_server_runs()
    {
        var ring = new HmacKeyRing([Key("2026-10", Secret1)]);
        await using var server = await SecureServer.StartAsync(new SecurityOptions { Hmac = new HmacAuthenticationOptions { Keys = ring } });
        var oldKey = server.Channel(new HmacCallCredentials("2026-10", Secret1));
        var newKey = server.Channel(new HmacCallCredentials("2026-11", Secret2));
        Assert.Equal("svc-2026-10|HMAC|", await oldKey.UnaryAsync(SecuredService.WhoAmI, ""));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await newKey.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Contains("'2026-11' is not accepted", ex.Message);

        // Rotation: add the new key (both work), then retire the old one.
        ring.Add(Key("2026-11", Secret2));
        Assert.Equal("svc-2026-11|HMAC|", await newKey.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal("svc-2026-10|HMAC|", await oldKey.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.True(ring.Remove("2026-10"));
        ex = await Assert.ThrowsAsync<RpcException>(async () => await oldKey.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal("svc-2026-11|HMAC|", await newKey.UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(2, server.Security.Counters[SecurityFailure.UnknownKey]);
    }

    [Fact]
    public void The_replay_cache_is_bounded_and_never_lets_a_forgotten_nonce_through()
    {
        var cache = new NonceCache(capacity: 3);
        long oldest = 0; // nothing has left the skew window in this test
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("k", "n1", 100, oldest));
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("k", "n2", 200, oldest));
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("k", "n3", 300, oldest));
        Assert.Equal(NonceCache.Verdict.Replayed, cache.TryAdd("k", "n2", 200, oldest));
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("other-key", "n2", 200, oldest));
        // Full: n1 (the oldest) was forgotten to make room, and the floor rose to its timestamp.
        Assert.Equal(3, cache.Count);
        Assert.Equal(100, cache.FloorMs);
        Assert.Equal(NonceCache.Verdict.BelowFloor, cache.TryAdd("k", "n1", 100, oldest));
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("k", "n4", 400, oldest));
        Assert.Equal(3, cache.Count);
        // Entries whose timestamps left the skew window are dropped first.
        Assert.Equal(NonceCache.Verdict.Accepted, cache.TryAdd("k", "n5", 1000, oldestAcceptedMs: 900));
        Assert.Equal(1, cache.Count);
    }
}
