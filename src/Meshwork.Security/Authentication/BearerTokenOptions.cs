using System.Security.Claims;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;

namespace Meshwork.Security.Authentication;

/// <summary>
/// Checks a bearer token for one call: returns the caller's identity, or null when the token is not valid. Throwing
/// <see cref="RpcException"/> fails the call with its status (for example Unavailable when an identity provider is down).
/// </summary>
public delegate ValueTask<ClaimsIdentity?> BearerTokenValidator(string token, ServerCallContext context);

/// <summary>A token known in advance (a service account's API key) and the identity it stands for.</summary>
public sealed class StaticBearerToken
{
    /// <summary>The token itself. At least <see cref="BearerTokenOptions.MinStaticTokenLength"/> characters.</summary>
    public string Token { get; set; } = "";

    /// <summary>The caller's name (the <see cref="ClaimTypes.Name"/> claim). Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The caller's roles (<see cref="ClaimTypes.Role"/> claims). Default none.</summary>
    public IList<string> Roles { get; set; } = new List<string>();
}

/// <summary>
/// Bearer-token authentication (<c>authorization: Bearer &lt;token&gt;</c>): a static token set, a validator delegate
/// (for JWTs, opaque tokens checked against an identity provider...), or both; the static set is consulted first.
/// </summary>
public sealed class BearerTokenOptions
{
    /// <summary>The shortest static token accepted by <see cref="Validate"/>: 16 characters, so that no configured key is guessable.</summary>
    public const int MinStaticTokenLength = 16;

    /// <summary>Tokens known in advance. Default none. They are kept only as SHA-256 hashes in memory, so lookups take the same time whatever the token.</summary>
    public IList<StaticBearerToken> Tokens { get; set; } = new List<StaticBearerToken>();

    /// <summary>Custom validation for tokens not in <see cref="Tokens"/>. Default none.</summary>
    public BearerTokenValidator? Validator { get; set; }

    /// <summary>
    /// Longest token accepted; longer ones are refused as malformed before any validation. Default 8192 characters:
    /// room for large JWTs, while a garbage header cannot make the validator parse megabytes.
    /// </summary>
    public int MaxTokenLength { get; set; } = 8192;

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(BearerTokenOptions);
        if (Tokens.Count == 0 && Validator is null) throw new InvalidOptionException(type, nameof(Tokens), "set at least one static token or a Validator");
        if (MaxTokenLength < 16) throw new InvalidOptionException(type, nameof(MaxTokenLength), $"must be at least 16 (was {MaxTokenLength})");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Tokens.Count; i++)
        {
            var t = Tokens[i];
            string path = $"{nameof(Tokens)}[{i}]";
            if (t is null) throw new InvalidOptionException(type, path, "is null");
            // Never echo the token itself: the exception may end up in a log.
            if (t.Token is null || t.Token.Length < MinStaticTokenLength) throw new InvalidOptionException(type, path + ".Token", $"must have at least {MinStaticTokenLength} characters");
            if (t.Token.Length > MaxTokenLength) throw new InvalidOptionException(type, path + ".Token", $"is longer than MaxTokenLength ({MaxTokenLength})");
            if (t.Token.Any(char.IsWhiteSpace)) throw new InvalidOptionException(type, path + ".Token", "must not contain white space");
            if (string.IsNullOrWhiteSpace(t.Name)) throw new InvalidOptionException(type, path + ".Name", "is required (the caller's name)");
            if (!seen.Add(t.Token)) throw new InvalidOptionException(type, path + ".Token", "is the same as an earlier token");
            if (t.Roles.Any(string.IsNullOrWhiteSpace)) throw new InvalidOptionException(type, path + ".Roles", "contains an empty role");
        }
    }
}
