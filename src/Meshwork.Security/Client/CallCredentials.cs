using Meshwork.Rpc.Client;

namespace Meshwork.Security.Client;

/// <summary>Credentials a client attaches to each call (see <see cref="CallCredentialsMiddleware"/>).</summary>
public abstract class CallCredentials
{
    /// <summary>Adds the credentials of the call in <paramref name="context"/> to its headers.</summary>
    public abstract ValueTask ApplyAsync(ClientCallContext context);
}

/// <summary>Client middleware that attaches <see cref="CallCredentials"/> to every call made through the channel.</summary>
public sealed class CallCredentialsMiddleware : IClientMiddleware
{
    private readonly CallCredentials _credentials;

    /// <summary>Attaches <paramref name="credentials"/> to every call.</summary>
    public CallCredentialsMiddleware(CallCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    /// <inheritdoc/>
    public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
    {
        var applying = _credentials.ApplyAsync(context);
        if (applying.IsCompletedSuccessfully) return next(context);
        return ApplyThenCallAsync(applying, context, next);
    }

    private static async ValueTask ApplyThenCallAsync(ValueTask applying, ClientCallContext context, ClientCallHandler next)
    {
        await applying.ConfigureAwait(false);
        await next(context).ConfigureAwait(false);
    }
}

/// <summary>Adds call credentials to client options.</summary>
public static class RpcClientOptionsSecurityExtensions
{
    /// <summary>Attaches <paramref name="credentials"/> to every call of channels built from <paramref name="options"/>. Returns <paramref name="options"/>.</summary>
    public static RpcClientOptions UseCredentials(this RpcClientOptions options, CallCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Middleware.Add(new CallCredentialsMiddleware(credentials));
        return options;
    }
}
