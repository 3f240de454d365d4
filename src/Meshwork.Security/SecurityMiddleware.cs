using System.Collections.Concurrent;
using System.Security.Claims;
using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;
using Meshwork.Security.Diagnostics;
using Meshwork.Security.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Security;

/// <summary>
/// Server middleware that authenticates every call and applies the method's authorization policy before the handler
/// runs. Credentials come from the <c>authorization</c> header (the authenticator of its scheme decides) and from the
/// connection's client certificate; every identity found goes into <see cref="ServerCallContext.User"/>, the header's
/// first. Credentials that are presented but invalid are refused even on anonymous methods, so a misconfigured client
/// learns at once. Refusals are answered Unauthenticated (no or bad credentials) or PermissionDenied (the policy is not
/// met) with a message that never contains the credentials, counted in <see cref="Counters"/>, and logged rate-limited.
/// Add it first (<see cref="RpcServerSecurityExtensions.UseSecurity"/>), so that no other middleware sees unauthenticated calls.
/// </summary>
public sealed class SecurityMiddleware : IServerMiddleware
{
    /// <summary>The request header carrying credentials: <c>authorization</c> (metadata keys compare case-insensitively).</summary>
    public const string AuthorizationHeader = "authorization";

    private readonly ITokenAuthenticator[] _authenticators;
    private readonly ClientCertificateAuthenticator? _certificates;
    private readonly MethodPolicies _methods;
    // Only registered methods reach middleware, so this holds at most one entry per method of the server.
    private readonly ConcurrentDictionary<(string Service, string Method), AuthorizationPolicy> _resolved = new();
    private readonly ILogger _logger;
    private readonly FailureLogLimiter _logLimiter;
    private readonly string _acceptedSchemes;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="InvalidOptionException"/>) and builds the authenticators; later changes to the options have no effect.</summary>
    public SecurityMiddleware(SecurityOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var authenticators = new List<ITokenAuthenticator>();
        if (options.Bearer is not null) authenticators.Add(new BearerTokenAuthenticator(options.Bearer));
        if (options.Hmac is not null) authenticators.Add(new HmacAuthenticator(options.Hmac));
        authenticators.AddRange(options.Authenticators);
        _authenticators = authenticators.ToArray();
        if (options.ClientCertificates is not null) _certificates = new ClientCertificateAuthenticator(options.ClientCertificates);
        _methods = options.Methods.Clone();
        _logger = (ILogger?)loggerFactory?.CreateLogger("Meshwork.Security") ?? NullLogger.Instance;
        _logLimiter = new FailureLogLimiter(options.FailureLogInterval, TimeProvider.System);
        _acceptedSchemes = _authenticators.Length == 0 ? "none" : string.Join(", ", _authenticators.Select(a => a.Scheme));
        var all = _authenticators.Select(a => a.Scheme).Concat(_certificates is null ? [] : ["client certificate"]).ToArray();
        SecurityLog.Enabled(_logger, all.Length == 0 ? "nothing (every method is anonymous)" : string.Join(", ", all), _methods.Rules.Count, _methods.Default.Description);
    }

    /// <summary>Calls refused per reason, and calls let through; export them as monotonic counters.</summary>
    public SecurityCounters Counters { get; } = new();

    /// <summary>The authenticator of HMAC-signed calls when <see cref="SecurityOptions.Hmac"/> is set, for its replay-cache gauge.</summary>
    public HmacAuthenticator? Hmac => _authenticators.OfType<HmacAuthenticator>().FirstOrDefault();

    /// <inheritdoc/>
    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        var policy = _resolved.GetOrAdd((context.Service, context.Method), static (key, methods) => methods.Resolve(key.Service, key.Method), _methods);
        string? header = context.RequestHeaders?.Get(AuthorizationHeader);
        if (header is null) return Authorize(context, next, policy, null);
        int space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header.AsSpan() : header.AsSpan(0, space);
        ITokenAuthenticator? authenticator = null;
        foreach (var a in _authenticators)
        {
            if (scheme.Equals(a.Scheme, StringComparison.OrdinalIgnoreCase))
            {
                authenticator = a;
                break;
            }
        }
        if (authenticator is null)
        {
            // The header is not echoed: a client that sent a bare token would otherwise see it in the message and logs.
            return Refuse(context, SecurityFailure.UnsupportedScheme, StatusCode.Unauthenticated,
                $"the authorization header does not use a scheme this server accepts ({_acceptedSchemes})");
        }
        string credentials = space < 0 ? "" : header[(space + 1)..];
        ValueTask<AuthenticationResult> pending;
        try
        {
            pending = authenticator.AuthenticateAsync(credentials, context);
        }
        catch (Exception ex)
        {
            return ValidatorFailed(context, ex);
        }
        if (pending.IsCompletedSuccessfully) return Authenticated(context, next, policy, pending.Result);
        return AwaitAuthenticationAsync(context, next, policy, pending);
    }

    private async ValueTask AwaitAuthenticationAsync(ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, ValueTask<AuthenticationResult> pending)
    {
        AuthenticationResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await ValidatorFailed(context, ex).ConfigureAwait(false);
            return;
        }
        await Authenticated(context, next, policy, result).ConfigureAwait(false);
    }

    private ValueTask Authenticated(ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, AuthenticationResult result)
    {
        if (!result.Succeeded) return Refuse(context, result.Failure, StatusCode.Unauthenticated, result.FailureMessage ?? "the credentials are not valid");
        return Authorize(context, next, policy, result.Identity);
    }

    private ValueTask Authorize(ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, ClaimsIdentity? fromHeader)
    {
        ClaimsIdentity? fromCertificate = _certificates is not null && context.ClientCertificate is { } certificate ? _certificates.Authenticate(certificate) : null;
        ClaimsPrincipal? user = (fromHeader, fromCertificate) switch
        {
            (null, null) => null,
            ({ } h, null) => new ClaimsPrincipal(h),
            (null, { } c) => new ClaimsPrincipal(c),
            ({ } h, { } c) => new ClaimsPrincipal([h, c]),
        };
        if (user is not null) context.User = user;
        if (!policy.AllowsAnonymous)
        {
            if (user is null)
            {
                return Refuse(context, SecurityFailure.MissingCredentials, StatusCode.Unauthenticated,
                    $"{context.Service}/{context.Method} requires an authenticated caller and the call carried no credentials (accepted: {DescribeAccepted()})");
            }
            if (!policy.IsSatisfiedBy(user, context, out string? unmet))
            {
                return Refuse(context, SecurityFailure.Forbidden, StatusCode.PermissionDenied,
                    $"caller '{user.Identity?.Name ?? "(unnamed)"}' ({user.Identity?.AuthenticationType}) may not call {context.Service}/{context.Method}: it requires {unmet}");
            }
        }
        Counters.CountAllowed(user is not null);
        return next(context);
    }

    private string DescribeAccepted() => _certificates is null ? _acceptedSchemes : _authenticators.Length == 0 ? "a client certificate" : _acceptedSchemes + ", or a client certificate";

    private ValueTask ValidatorFailed(ServerCallContext context, Exception ex)
    {
        Counters.Increment(SecurityFailure.ValidatorFailed);
        if (ex is RpcException rpc)
        {
            LogRefusal(context, SecurityFailure.ValidatorFailed, rpc.Status, rpc.Message);
            return ValueTask.FromException(rpc);
        }
        var cause = ex is TokenValidatorException { InnerException: { } inner } ? inner : ex;
        string source = FailureLogLimiter.SourceOf(context.Peer);
        if (_logLimiter.ShouldLog(source, (int)SecurityFailure.ValidatorFailed, out long suppressed))
        {
            SecurityLog.ValidatorFailed(_logger, context.Service, context.Method, context.Peer, cause.GetType().Name, cause.Message, source, suppressed);
        }
        return ValueTask.FromException(new RpcException(StatusCode.Unavailable,
            $"the server could not check the credentials of {context.Service}/{context.Method} (its token validator failed); try again later"));
    }

    private ValueTask Refuse(ServerCallContext context, SecurityFailure reason, StatusCode status, string message)
    {
        Counters.Increment(reason);
        LogRefusal(context, reason, status, message);
        // A completed faulted task instead of a throw: a flood of bad credentials should cost as little as possible.
        return ValueTask.FromException(new RpcException(status, message));
    }

    private void LogRefusal(ServerCallContext context, SecurityFailure reason, StatusCode status, string message)
    {
        string source = FailureLogLimiter.SourceOf(context.Peer);
        if (_logLimiter.ShouldLog(source, (int)reason, out long suppressed))
        {
            SecurityLog.CallRefused(_logger, context.Service, context.Method, context.Peer, reason, status, message, source, suppressed);
        }
    }
}
