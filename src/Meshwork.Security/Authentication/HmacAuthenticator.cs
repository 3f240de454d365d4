using System.Security.Claims;
using System.Security.Cryptography;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Authentication;

/// <summary>
/// Authenticates HMAC-signed calls: the key id names a live key of <see cref="HmacAuthenticationOptions.Keys"/>, the
/// timestamp is within the clock skew, the signature over service, method, timestamp, nonce and key id matches, and
/// the nonce was not used before (see <see cref="HmacSignature"/> for the format). The checks run in that order, so
/// only correctly signed calls reach the replay cache and garbage cannot fill it.
/// </summary>
public sealed class HmacAuthenticator : ITokenAuthenticator
{
    /// <summary>The authentication type of identities this authenticator creates.</summary>
    public const string AuthenticationType = "HMAC";

    private readonly HmacKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly long _skewMs;
    private readonly NonceCache _nonces;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="InvalidOptionException"/>); the key ring is shared, so later rotations apply.</summary>
    public HmacAuthenticator(HmacAuthenticationOptions options)
        : this(options, null)
    {
    }

    /// <summary>
    /// An authenticator that takes over <paramref name="previous"/>'s replay cache (a reload of the security settings):
    /// nonces seen before stay refused. When the capacity differs, a new cache is made whose floor is now, so calls
    /// signed before the change are refused as expired rather than risk a replay.
    /// </summary>
    internal HmacAuthenticator(HmacAuthenticationOptions options, NonceCache? previous)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _keys = options.Keys;
        _time = options.TimeProvider;
        _skewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        _nonces = previous is null ? new NonceCache(options.ReplayCacheCapacity)
            : previous.Capacity == options.ReplayCacheCapacity ? previous
            : new NonceCache(options.ReplayCacheCapacity, _time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>The replay cache, handed to the authenticator that replaces this one.</summary>
    internal NonceCache Nonces => _nonces;

    /// <summary>The header scheme of signed calls, <c>MW-HMAC-SHA256</c>.</summary>
    public string Scheme => HmacSignature.Scheme;

    /// <summary>Nonces in the replay cache now.</summary>
    public int RememberedNonces => _nonces.Count;

    /// <inheritdoc/>
    public ValueTask<AuthenticationResult> AuthenticateAsync(string credentials, ServerCallContext context) => new(Authenticate(credentials, context));

    private AuthenticationResult Authenticate(string credentials, ServerCallContext context)
    {
        if (!HmacSignature.TryParse(credentials, out var fields, out string? error)) return AuthenticationResult.Fail(SecurityFailure.MalformedCredentials, error!);
        if (!_keys.TryGet(fields.KeyId, out var key))
        {
            return AuthenticationResult.Fail(SecurityFailure.UnknownKey, $"HMAC key '{fields.KeyId}' is not accepted by this server (unknown or rotated out)");
        }
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long offset = fields.TimestampMs - now;
        if (Math.Abs(offset) > _skewMs)
        {
            return AuthenticationResult.Fail(SecurityFailure.Expired,
                $"the HMAC timestamp is {Math.Abs(offset) / 1000.0:0.#} s {(offset < 0 ? "behind" : "ahead of")} the server's clock (allowed: {_skewMs / 1000.0:0.#} s)");
        }
        Span<byte> expected = stackalloc byte[HmacSignature.MacBytes];
        Span<byte> presented = stackalloc byte[HmacSignature.MacBytes];
        if (!HmacSignature.TryDecodeSignature(fields.Signature, presented))
        {
            return AuthenticationResult.Fail(SecurityFailure.MalformedCredentials, "the HMAC signature must be 32 bytes in base64url");
        }
        HmacSignature.Compute(key.Secret, key.Id, fields.TimestampMs, fields.Nonce, context.Service, context.Method, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return AuthenticationResult.Fail(SecurityFailure.BadSignature, $"the HMAC signature does not match the call to {context.Service}/{context.Method} (wrong secret for key '{key.Id}', or the call was altered)");
        }
        switch (_nonces.TryAdd(key.Id, fields.Nonce, fields.TimestampMs, now - _skewMs))
        {
            case NonceCache.Verdict.Replayed:
                return AuthenticationResult.Fail(SecurityFailure.Replayed, "the HMAC nonce was already used: a signed call is accepted once");
            case NonceCache.Verdict.BelowFloor:
                return AuthenticationResult.Fail(SecurityFailure.Expired, "the HMAC timestamp is older than the server's replay window (its replay cache is full); sign the call again");
        }
        var identity = new ClaimsIdentity(AuthenticationType, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, key.Name ?? key.Id));
        identity.AddClaim(new Claim(SecurityClaimTypes.HmacKeyId, key.Id));
        foreach (var role in key.Roles) identity.AddClaim(new Claim(ClaimTypes.Role, role));
        return AuthenticationResult.Success(identity);
    }
}
