using System.Security.Claims;
using Meshwork.Rpc.Server;

namespace Meshwork.Security.Authorization;

/// <summary>Decides whether an authenticated caller may make a call; <see cref="AuthorizationPolicy.Require"/> builds one from a predicate.</summary>
public delegate bool AuthorizationPredicate(ClaimsPrincipal user, ServerCallContext context);

/// <summary>
/// Who may call a method: anyone (<see cref="AllowAnonymous"/>), any authenticated caller
/// (<see cref="RequireAuthenticated"/>), or authenticated callers meeting every requirement of the policy (roles,
/// claims, authentication schemes, predicates; combine them with <see cref="And"/>). Immutable and thread-safe.
/// </summary>
public sealed class AuthorizationPolicy
{
    private readonly Requirement[] _requirements;

    private AuthorizationPolicy(bool allowsAnonymous, Requirement[] requirements)
    {
        AllowsAnonymous = allowsAnonymous;
        _requirements = requirements;
    }

    private readonly record struct Requirement(string Description, AuthorizationPredicate Check);

    /// <summary>True when callers without credentials are let through.</summary>
    public bool AllowsAnonymous { get; }

    /// <summary>What the policy requires, in words, as said in PermissionDenied messages and logs.</summary>
    public string Description => AllowsAnonymous ? "anyone" : _requirements.Length == 0 ? "an authenticated caller" : string.Join(" and ", _requirements.Select(r => r.Description));

    /// <summary>Anyone, with or without credentials (health checks, discovery). Invalid credentials are still refused.</summary>
    public static AuthorizationPolicy AllowAnonymous { get; } = new(true, []);

    /// <summary>Any authenticated caller, whatever its roles and claims.</summary>
    public static AuthorizationPolicy RequireAuthenticated { get; } = new(false, []);

    /// <summary>An authenticated caller in at least one of <paramref name="roles"/> (<see cref="ClaimsPrincipal.IsInRole"/>).</summary>
    public static AuthorizationPolicy RequireRole(params string[] roles)
    {
        string[] copy = NonEmpty(roles, nameof(roles));
        string description = copy.Length == 1 ? $"role '{copy[0]}'" : $"one of the roles {string.Join(", ", copy.Select(r => $"'{r}'"))}";
        return new(false, [new Requirement(description, (user, _) => copy.Any(user.IsInRole))]);
    }

    /// <summary>An authenticated caller with a claim of <paramref name="claimType"/>, with one of <paramref name="allowedValues"/> if any are given.</summary>
    public static AuthorizationPolicy RequireClaim(string claimType, params string[] allowedValues)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claimType);
        ArgumentNullException.ThrowIfNull(allowedValues);
        if (allowedValues.Any(string.IsNullOrEmpty)) throw new ArgumentException("allowed claim values must not be empty", nameof(allowedValues));
        string[] copy = allowedValues.ToArray();
        if (copy.Length == 0) return new(false, [new Requirement($"a '{claimType}' claim", (user, _) => user.HasClaim(c => c.Type == claimType))]);
        string description = $"a '{claimType}' claim of {string.Join(" or ", copy.Select(v => $"'{v}'"))}";
        return new(false, [new Requirement(description, (user, _) => user.HasClaim(c => c.Type == claimType && copy.Contains(c.Value, StringComparer.Ordinal)))]);
    }

    /// <summary>
    /// A caller authenticated by one of <paramref name="schemes"/> (identity authentication types, compared
    /// case-insensitively: <c>Bearer</c>, <c>HMAC</c>, <c>mTLS</c>, or a custom authenticator's).
    /// </summary>
    public static AuthorizationPolicy RequireScheme(params string[] schemes)
    {
        string[] copy = NonEmpty(schemes, nameof(schemes));
        string description = $"authentication by {string.Join(" or ", copy)}";
        return new(false, [new Requirement(description,
            (user, _) => user.Identities.Any(i => i.IsAuthenticated && copy.Contains(i.AuthenticationType, StringComparer.OrdinalIgnoreCase)))]);
    }

    /// <summary>An authenticated caller for which <paramref name="predicate"/> holds; <paramref name="description"/> says what it checks, for messages.</summary>
    public static AuthorizationPolicy Require(string description, AuthorizationPredicate predicate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(predicate);
        return new(false, [new Requirement(description, predicate)]);
    }

    /// <summary>A policy that requires what this one and <paramref name="other"/> both require (anonymous only if both allow it).</summary>
    public AuthorizationPolicy And(AuthorizationPolicy other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(AllowsAnonymous && other.AllowsAnonymous, [.. _requirements, .. other._requirements]);
    }

    /// <summary>True when the authenticated <paramref name="user"/> meets every requirement; otherwise <paramref name="unmet"/> describes the first one missed.</summary>
    public bool IsSatisfiedBy(ClaimsPrincipal user, ServerCallContext context, out string? unmet)
    {
        ArgumentNullException.ThrowIfNull(user);
        foreach (var requirement in _requirements)
        {
            if (!requirement.Check(user, context))
            {
                unmet = requirement.Description;
                return false;
            }
        }
        unmet = null;
        return true;
    }

    /// <summary>Same as <see cref="Description"/>.</summary>
    public override string ToString() => Description;

    private static string[] NonEmpty(string[] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Length == 0) throw new ArgumentException("at least one value is required", name);
        if (values.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("values must not be blank", name);
        return values.ToArray();
    }
}
