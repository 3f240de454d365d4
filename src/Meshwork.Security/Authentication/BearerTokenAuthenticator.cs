using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Authentication;

/// <summary>Authenticates <c>authorization: Bearer &lt;token&gt;</c> against a static token set and/or a validator (see <see cref="BearerTokenOptions"/>).</summary>
public sealed class BearerTokenAuthenticator : ITokenAuthenticator
{
    /// <summary>The authentication type of identities this authenticator creates, and its header scheme.</summary>
    public const string SchemeName = "Bearer";

    private readonly Dictionary<TokenHash, StaticIdentity> _static = new();
    private readonly BearerTokenValidator? _validator;
    private readonly int _maxLength;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="InvalidOptionException"/>) and takes a copy of them.</summary>
    public BearerTokenAuthenticator(BearerTokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        foreach (var t in options.Tokens) _static[TokenHash.Of(t.Token)] = new StaticIdentity(t.Name, t.Roles.ToArray());
        _validator = options.Validator;
        _maxLength = options.MaxTokenLength;
    }

    /// <inheritdoc/>
    public string Scheme => SchemeName;

    /// <inheritdoc/>
    public ValueTask<AuthenticationResult> AuthenticateAsync(string credentials, ServerCallContext context)
    {
        string token = credentials.Trim();
        if (token.Length == 0) return new(AuthenticationResult.Fail(SecurityFailure.MalformedCredentials, "the bearer token is empty"));
        if (token.Length > _maxLength) return new(AuthenticationResult.Fail(SecurityFailure.MalformedCredentials, $"the bearer token is longer than {_maxLength} characters"));
        if (_static.TryGetValue(TokenHash.Of(token), out var known)) return new(AuthenticationResult.Success(known.Create()));
        if (_validator is null) return new(Refused());
        return ValidateAsync(token, context);
    }

    private async ValueTask<AuthenticationResult> ValidateAsync(string token, ServerCallContext context)
    {
        ClaimsIdentity? identity;
        try
        {
            identity = await _validator!(token, context).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new TokenValidatorException(ex);
        }
        if (identity is null) return Refused();
        // A validator that forgot the authentication type would produce an identity that counts as anonymous.
        if (!identity.IsAuthenticated) identity = new ClaimsIdentity(identity.Claims, SchemeName, identity.NameClaimType, identity.RoleClaimType);
        return AuthenticationResult.Success(identity);
    }

    private static AuthenticationResult Refused() => AuthenticationResult.Fail(SecurityFailure.InvalidToken, "the bearer token is not valid");

    private sealed class StaticIdentity(string name, string[] roles)
    {
        public ClaimsIdentity Create()
        {
            // A fresh identity per call: handlers may add claims, and must not change another call's caller.
            var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
            identity.AddClaim(new Claim(ClaimTypes.Name, name));
            foreach (var role in roles) identity.AddClaim(new Claim(ClaimTypes.Role, role));
            return identity;
        }
    }

    /// <summary>SHA-256 of a token: the table holds no token in clear, and a lookup's time does not depend on how much of a guess matched.</summary>
    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static TokenHash Of(string token)
        {
            int max = Encoding.UTF8.GetMaxByteCount(token.Length);
            byte[]? rented = max > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(max) : null;
            Span<byte> utf8 = rented is null ? stackalloc byte[1024] : rented;
            try
            {
                int n = Encoding.UTF8.GetBytes(token, utf8);
                Span<byte> hash = stackalloc byte[32];
                SHA256.HashData(utf8[..n], hash);
                var words = MemoryMarshal.Cast<byte, ulong>(hash);
                return new TokenHash(words[0], words[1], words[2], words[3]);
            }
            finally
            {
                if (rented is not null)
                {
                    CryptographicOperations.ZeroMemory(rented);
                    System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
    }
}

/// <summary>A custom token validator threw something other than <see cref="RpcException"/>; the middleware answers Unavailable.</summary>
internal sealed class TokenValidatorException(Exception inner) : Exception("the token validator failed: " + inner.GetType().Name, inner);
