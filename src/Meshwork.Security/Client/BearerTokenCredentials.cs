using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Security.Client;

/// <summary>
/// Sends <c>authorization: Bearer &lt;token&gt;</c> with every call: a fixed token, or one obtained per call from a
/// provider (which may cache and refresh it). Send bearer tokens only over TLS: anyone who reads one can replay it.
/// </summary>
public sealed class BearerTokenCredentials : CallCredentials
{
    private readonly string? _header;
    private readonly Func<CancellationToken, ValueTask<string>>? _provider;

    /// <summary>Sends <paramref name="token"/> with every call.</summary>
    public BearerTokenCredentials(string token)
    {
        _header = "Bearer " + CheckToken(token);
    }

    /// <summary>Asks <paramref name="tokenProvider"/> for the token of each call (given the call's cancellation token).</summary>
    public BearerTokenCredentials(Func<CancellationToken, ValueTask<string>> tokenProvider)
    {
        ArgumentNullException.ThrowIfNull(tokenProvider);
        _provider = tokenProvider;
    }

    /// <inheritdoc/>
    public override ValueTask ApplyAsync(ClientCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_header is not null)
        {
            context.Headers.Set(SecurityMiddleware.AuthorizationHeader, _header);
            return ValueTask.CompletedTask;
        }
        return ApplyFromProviderAsync(context);
    }

    private async ValueTask ApplyFromProviderAsync(ClientCallContext context)
    {
        string token;
        try
        {
            token = await _provider!(context.Options.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
        {
            throw new RpcException(StatusCode.Unauthenticated, $"could not obtain a bearer token for {context.Service}/{context.Method}: {ex.Message}", ex);
        }
        context.Headers.Set(SecurityMiddleware.AuthorizationHeader, "Bearer " + CheckToken(token));
    }

    private static string CheckToken(string token)
    {
        if (string.IsNullOrWhiteSpace(token)) throw new ArgumentException("the bearer token is empty", nameof(token));
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) throw new ArgumentException("the bearer token must not contain white space or control characters", nameof(token));
        return token;
    }
}
