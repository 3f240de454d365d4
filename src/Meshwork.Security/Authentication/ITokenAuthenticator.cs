using Meshwork.Rpc.Server;

namespace Meshwork.Security.Authentication;

/// <summary>
/// Checks the credentials a call carries in its <c>authorization</c> header (<c>&lt;scheme&gt; &lt;credentials&gt;</c>).
/// <see cref="SecurityMiddleware"/> hands each call to the authenticator whose <see cref="Scheme"/> the header names.
/// </summary>
public interface ITokenAuthenticator
{
    /// <summary>The header scheme this authenticator handles, compared case-insensitively (for example <c>Bearer</c>).</summary>
    string Scheme { get; }

    /// <summary>
    /// Checks <paramref name="credentials"/> (the header value after the scheme and one space) for the call in
    /// <paramref name="context"/>. Throwing <see cref="Rpc.RpcException"/> fails the call with its status (for
    /// example Unavailable when an identity provider cannot be reached).
    /// </summary>
    ValueTask<AuthenticationResult> AuthenticateAsync(string credentials, ServerCallContext context);
}
