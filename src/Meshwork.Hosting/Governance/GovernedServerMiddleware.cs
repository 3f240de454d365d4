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

/// <summary>
/// The middleware the document puts in front of the hosted server: security (the <c>Security</c> section), then the
/// server rate limits (<c>Server:Limits</c>). Both are always installed, so that a reload can turn them on: without
/// settings they pass every call on after one read.
/// </summary>
internal static class GovernedServerMiddleware
{
    public static IEnumerable<IServerMiddleware> Create(MeshworkGovernance governance, IServiceProvider services)
    {
        var gate = services.GetRequiredService<SecurityMiddlewareHolder>();
        if (ServerSecurity.Read(governance.Section.GetSection("Security")) is { } options) gate.Start(options, services.GetService<ILoggerFactory>());
        yield return gate;
        var limits = new ServerRateLimitMiddleware(governance.Document.Server.RateLimits ?? new ServerRateLimitOptions());
        governance.ServerLimits = limits;
        yield return limits;
    }
}

/// <summary>How the document's <c>Security</c> section protects the hosted server.</summary>
internal static class ServerSecurity
{
    /// <summary>
    /// The server's security options, or null when the section configures none (<c>Credentials</c> alone configure
    /// this process's clients, not its server).
    /// </summary>
    /// <exception cref="SecurityConfigurationException">A value is invalid; the message names its key.</exception>
    public static SecurityOptions? Read(IConfigurationSection security)
    {
        if (!security.GetChildren().Any(c => !string.Equals(c.Key, "Credentials", StringComparison.OrdinalIgnoreCase))) return null;
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
        return options;
    }
}

/// <summary>
/// The server's <see cref="SecurityMiddleware"/>, built from configuration, in front of every call: the application
/// reads its counters from the container (<c>GetService&lt;SecurityMiddleware&gt;()</c>; null when the document had
/// no server security when it was first asked for). Without security it passes calls on; a reload that adds
/// security creates the middleware, and later reloads reconfigure it.
/// </summary>
internal sealed class SecurityMiddlewareHolder : IServerMiddleware
{
    private volatile SecurityMiddleware? _middleware;

    public SecurityMiddleware? Current => _middleware;

    /// <summary>Protects the server with <paramref name="options"/> from the first call on.</summary>
    public void Start(SecurityOptions options, ILoggerFactory? loggerFactory) => _middleware = new SecurityMiddleware(options, loggerFactory);

    /// <summary>Puts <paramref name="options"/> in force for new calls (creating the middleware if the server had no security).</summary>
    public void Reconfigure(SecurityOptions options, ILoggerFactory? loggerFactory)
    {
        if (_middleware is { } current) current.Reconfigure(options);
        else Start(options, loggerFactory);
    }

    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next) =>
        _middleware is { } security ? security.InvokeAsync(context, next) : next(context);
}
