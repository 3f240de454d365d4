using Meshwork.Rpc.Client;
using Meshwork.Security.Authentication;

namespace Meshwork.Security.Client;

/// <summary>
/// Signs every call with an HMAC key: the header carries the key id, the time, a fresh random nonce and the
/// HMAC-SHA256 of those with the service and method (see <see cref="HmacAuthenticator"/>). The secret never leaves
/// the process, and a captured call cannot be replayed nor redirected to another method. The body is not signed:
/// use TLS where the request itself must be protected.
/// </summary>
public sealed class HmacCallCredentials : CallCredentials
{
    private readonly string _keyId;
    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    /// <summary>Signs with the key <paramref name="keyId"/> and its <paramref name="secret"/> (at least 32 bytes), reading time from <paramref name="timeProvider"/> (default the system clock).</summary>
    public HmacCallCredentials(string keyId, byte[] secret, TimeProvider? timeProvider = null)
    {
        if (!HmacSignature.IsValidKeyId(keyId)) throw new ArgumentException("the key id must be 1-64 characters of letters, digits, '-', '_' and '.'", nameof(keyId));
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < HmacKey.MinSecretBytes) throw new ArgumentException($"the secret must be at least {HmacKey.MinSecretBytes} bytes (was {secret.Length})", nameof(secret));
        _keyId = keyId;
        _secret = secret.ToArray();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The id of the key calls are signed with.</summary>
    public string KeyId => _keyId;

    /// <inheritdoc/>
    public override ValueTask ApplyAsync(ClientCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        string nonce = HmacSignature.NewNonce();
        Span<byte> mac = stackalloc byte[HmacSignature.MacBytes];
        HmacSignature.Compute(_secret, _keyId, now, nonce, context.Service, context.Method, mac);
        context.Headers.Set(SecurityMiddleware.AuthorizationHeader, HmacSignature.FormatHeader(_keyId, now, nonce, mac));
        return ValueTask.CompletedTask;
    }
}
