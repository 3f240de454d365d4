using System.Security.Claims;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Authentication;

/// <summary>
/// What an authenticator concluded about the credentials of one call: an identity, or a refusal with its reason and a
/// message for the caller. The message must never contain the credentials or the secret they were checked against.
/// </summary>
public readonly struct AuthenticationResult
{
    private AuthenticationResult(ClaimsIdentity? identity, SecurityFailure failure, string? message)
    {
        Identity = identity;
        Failure = failure;
        FailureMessage = message;
    }

    /// <summary>The authenticated identity; null when the credentials were refused.</summary>
    public ClaimsIdentity? Identity { get; }

    /// <summary>Why the credentials were refused; meaningful only when <see cref="Succeeded"/> is false.</summary>
    public SecurityFailure Failure { get; }

    /// <summary>What the caller is told (and the log says) when the credentials were refused.</summary>
    public string? FailureMessage { get; }

    /// <summary>True when <see cref="Identity"/> holds the caller's identity.</summary>
    public bool Succeeded => Identity is not null;

    /// <summary>The credentials are valid and name <paramref name="identity"/>, which must be authenticated (have an authentication type).</summary>
    public static AuthenticationResult Success(ClaimsIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!identity.IsAuthenticated) throw new ArgumentException("the identity has no AuthenticationType, so it would count as anonymous", nameof(identity));
        return new AuthenticationResult(identity, default, null);
    }

    /// <summary>The credentials are refused for <paramref name="reason"/>; <paramref name="message"/> is sent to the caller.</summary>
    public static AuthenticationResult Fail(SecurityFailure reason, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        return new AuthenticationResult(null, reason, message);
    }
}
