using Meshwork.Discovery.Gossip;
using Meshwork.Governance.Server;
using Meshwork.Rpc.Server;
using Meshwork.Security;
using Meshwork.Security.Authorization;
using Meshwork.Security.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Hosting.Governance;

/// <summary>The middleware the document puts in front of the hosted server: security (the <c>Security</c> section), then the server rate limits (<c>Server:Limits</c>).</summary>
internal static class GovernedServerMiddleware
{
    public static IEnumerable<IServerMiddleware> Create(MeshworkGovernance governance, IServiceProvider services)
    {
        var security = governance.Section.GetSection("Security");
        // Credentials alone configure this process's clients, not its server.
        if (security.GetChildren().Any(c => !string.Equals(c.Key, "Credentials", StringComparison.OrdinalIgnoreCase)))
        {
            yield return services.GetRequiredService<SecurityMiddlewareHolder>().Get(security, services.GetService<ILoggerFactory>());
        }
        if (governance.Document.Server.RateLimits is { } limits) yield return new ServerRateLimitMiddleware(limits);
    }
}

/// <summary>
/// The server's <see cref="SecurityMiddleware"/>, built once from configuration, so that the application can read its
/// counters from the container (<c>GetService&lt;SecurityMiddleware&gt;()</c>; null when the document has no
/// server security).
/// </summary>
internal sealed class SecurityMiddlewareHolder
{
    private SecurityMiddleware? _middleware;

    public SecurityMiddleware? Current => _middleware;

    public SecurityMiddleware Get(IConfigurationSection security, ILoggerFactory? loggerFactory)
    {
        if (_middleware is not null) return _middleware;
        var options = SecurityConfiguration.Read(security);
        // Gossip peers fetch a node's directory without credentials (it lists what the node's tag already announces),
        // so the directory stays open unless a rule of the document decides about it. The health service is called
        // by governed clients, which carry the credentials, and is left to the rules.
        // A rule naming the directory, or any rule with a wildcard service part, is such a decision.
        if (!options.Methods.Rules.Any(r => r.Pattern[..r.Pattern.IndexOf('/', StringComparison.Ordinal)] is var service
            && (service == DirectoryService.ServiceName || service.Contains('*', StringComparison.Ordinal))))
        {
            options.Methods.Add(DirectoryService.ServiceName + "/*", AuthorizationPolicy.AllowAnonymous);
        }
        return _middleware = new SecurityMiddleware(options, loggerFactory);
    }
}
