namespace Meshwork.Security.Diagnostics;

/// <summary>
/// Why a call was refused by <see cref="SecurityMiddleware"/>. Every refusal is counted under one reason (see
/// <see cref="SecurityCounters"/>) and logged at most once per caller address and reason per interval.
/// </summary>
public enum SecurityFailure
{
    /// <summary>The method's policy requires an authenticated caller and the call carried no credentials (answered Unauthenticated).</summary>
    MissingCredentials,

    /// <summary>The <c>authorization</c> header names a scheme no configured authenticator handles (Unauthenticated).</summary>
    UnsupportedScheme,

    /// <summary>The credentials could not be parsed: empty, too long, missing fields, bad characters (Unauthenticated).</summary>
    MalformedCredentials,

    /// <summary>A bearer token that the validator or the static token set does not accept (Unauthenticated).</summary>
    InvalidToken,

    /// <summary>An HMAC signature made with a key id the server does not know, or no longer knows after a rotation (Unauthenticated).</summary>
    UnknownKey,

    /// <summary>An HMAC signature that does not match the call (wrong secret, altered service, method, time or nonce) (Unauthenticated).</summary>
    BadSignature,

    /// <summary>An HMAC timestamp outside the allowed clock skew, or older than the replay window (Unauthenticated).</summary>
    Expired,

    /// <summary>An HMAC nonce seen before within the replay window: a replayed request (Unauthenticated).</summary>
    Replayed,

    /// <summary>A custom token validator threw (answered Unavailable, or the status of the <c>RpcException</c> it threw).</summary>
    ValidatorFailed,

    /// <summary>An authenticated caller that the method's policy does not allow (answered PermissionDenied).</summary>
    Forbidden,
}
