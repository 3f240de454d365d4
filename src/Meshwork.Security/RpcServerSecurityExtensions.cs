using Meshwork.Rpc.Server;
using Microsoft.Extensions.Logging;

namespace Meshwork.Security;

/// <summary>Adds <see cref="SecurityMiddleware"/> to a server.</summary>
public static class RpcServerSecurityExtensions
{
    /// <summary>
    /// Adds authentication and authorization to <paramref name="server"/> as middleware; call it before adding other
    /// middleware so that it runs first. Returns the middleware, whose <see cref="SecurityMiddleware.Counters"/> count
    /// the refusals. Throws <see cref="Rpc.InvalidOptionException"/> for invalid <paramref name="options"/>.
    /// </summary>
    public static SecurityMiddleware UseSecurity(this RpcServer server, SecurityOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var middleware = new SecurityMiddleware(options, loggerFactory);
        server.Use(middleware);
        return middleware;
    }
}
