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

    private readonly ILogger _logger;
    private readonly Lock _reconfigureGate = new();
    // Everything the options decide, swapped as one object by Reconfigure: a call reads it once, so it sees the old
    // settings or the new ones, never a mix.
    private volatile State _state;
    // The replay cache of the last HMAC authenticator, kept across reloads (even when HMAC is switched off and on
    // again) so that a reload never lets a nonce seen before it be accepted again.
    private NonceCache? _nonces;
    // The refusal log limiter, kept across reloads (while FailureLogInterval stays the same): a new one would log the
    // next refusal of every address afresh, so a client flooding bad credentials would get a new burst of lines after
    // every rewrite of the configuration file, and the suppressed counts of the interval in progress would be lost.
    private FailureLogLimiter? _logLimiter;
    private readonly TimeProvider _time;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="InvalidOptionException"/>) and builds the authenticators; later changes to the options have no effect (use <see cref="Reconfigure"/>).</summary>
    public SecurityMiddleware(SecurityOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, TimeProvider.System)
    {
    }

    /// <summary>As the public constructor, with the clock of the refusal log limiter (tests advance it by hand).</summary>
    internal SecurityMiddleware(SecurityOptions options, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _time = time;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Meshwork.Security") ?? NullLogger.Instance;
        _state = Build(options);
        _state.LogEnabled(_logger);
    }

    /// <summary>
    /// Puts new options in force for the calls that arrive from now on (hot reload); calls already past this
    /// middleware are not affected. The options are validated first (throws <see cref="InvalidOptionException"/>, and
    /// nothing changes). The HMAC replay cache carries over, so a nonce accepted before the change is still refused as
    /// a replay; when <see cref="HmacAuthenticationOptions.ReplayCacheCapacity"/> changed, the new cache refuses calls
    /// signed before the change (as expired: clients sign again). The counters carry on, and so does the refusal log
    /// limiter (which addresses were logged when, and how many refusals were suppressed since) unless
    /// <see cref="SecurityOptions.FailureLogInterval"/> changed: then the new interval starts a new limiter.
    /// </summary>
    public void Reconfigure(SecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_reconfigureGate)
        {
            var next = Build(options);
            _state = next;
            next.LogEnabled(_logger);
        }
    }

    private State Build(SecurityOptions options)
    {
        var authenticators = new List<ITokenAuthenticator>();
        if (options.Bearer is not null) authenticators.Add(new BearerTokenAuthenticator(options.Bearer));
        if (options.Hmac is not null)
        {
            var hmac = new HmacAuthenticator(options.Hmac, _nonces);
            _nonces = hmac.Nonces;
            authenticators.Add(hmac);
        }
        authenticators.AddRange(options.Authenticators);
        var certificates = options.ClientCertificates is null ? null : new ClientCertificateAuthenticator(options.ClientCertificates);
        // The limiter's interval is fixed at construction (it is the one implementation shared with RPC and gossip), so
        // only a changed interval replaces it; the next refusal of each address is then logged again.
        var limiter = _logLimiter is { } kept && kept.Interval == options.FailureLogInterval ? kept : new FailureLogLimiter(options.FailureLogInterval, _time);
        var state = new State(authenticators.ToArray(), certificates, options.Methods.Clone(), limiter);
        _logLimiter = limiter;
        return state;
    }

    /// <summary>The settings in force: authenticators, certificate identities, method policies (resolved per method on first use), the refusal log limiter.</summary>
    private sealed class State
    {
        public State(ITokenAuthenticator[] authenticators, ClientCertificateAuthenticator? certificates, MethodPolicies methods, FailureLogLimiter logLimiter)
        {
            Authenticators = authenticators;
            Certificates = certificates;
            Methods = methods;
            LogLimiter = logLimiter;
            AcceptedSchemes = authenticators.Length == 0 ? "none" : string.Join(", ", authenticators.Select(a => a.Scheme));
        }

        public ITokenAuthenticator[] Authenticators { get; }

        public ClientCertificateAuthenticator? Certificates { get; }

        public MethodPolicies Methods { get; }

        // Only registered methods reach middleware, so this holds at most one entry per method of the server.
        public ConcurrentDictionary<(string Service, string Method), AuthorizationPolicy> Resolved { get; } = new();

        public FailureLogLimiter LogLimiter { get; }

        public string AcceptedSchemes { get; }

        public string DescribeAccepted() => Certificates is null ? AcceptedSchemes : Authenticators.Length == 0 ? "a client certificate" : AcceptedSchemes + ", or a client certificate";

        public void LogEnabled(ILogger logger)
        {
            var all = Authenticators.Select(a => a.Scheme).Concat(Certificates is null ? [] : ["client certificate"]).ToArray();
            SecurityLog.Enabled(logger, all.Length == 0 ? "nothing (every method is anonymous)" : string.Join(", ", all), Methods.Rules.Count, Methods.Default.Description);
        }
    }

    /// <summary>Calls refused per reason, and calls let through; export them as monotonic counters.</summary>
    public SecurityCounters Counters { get; } = new();

    /// <summary>The authenticator of HMAC-signed calls when <see cref="SecurityOptions.Hmac"/> is set, for its replay-cache gauge.</summary>
    public HmacAuthenticator? Hmac => _state.Authenticators.OfType<HmacAuthenticator>().FirstOrDefault();

    /// <inheritdoc/>
    public ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next)
    {
        var state = _state;
        var policy = state.Resolved.GetOrAdd((context.Service, context.Method), static (key, methods) => methods.Resolve(key.Service, key.Method), state.Methods);
        string? header = context.RequestHeaders?.Get(AuthorizationHeader);
        if (header is null) return Authorize(state, context, next, policy, null);
        int space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header.AsSpan() : header.AsSpan(0, space);
        ITokenAuthenticator? authenticator = null;
        foreach (var a in state.Authenticators)
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
            return Refuse(state, context, SecurityFailure.UnsupportedScheme, StatusCode.Unauthenticated,
                $"the authorization header does not use a scheme this server accepts ({state.AcceptedSchemes})");
        }
        string credentials = space < 0 ? "" : header[(space + 1)..];
        ValueTask<AuthenticationResult> pending;
        try
        {
            pending = authenticator.AuthenticateAsync(credentials, context);
        }
        catch (Exception ex)
        {
            return ValidatorFailed(state, context, ex);
        }
        if (pending.IsCompletedSuccessfully) return Authenticated(state, context, next, policy, pending.Result);
        return AwaitAuthenticationAsync(state, context, next, policy, pending);
    }

    private async ValueTask AwaitAuthenticationAsync(State state, ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, ValueTask<AuthenticationResult> pending)
    {
        AuthenticationResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await ValidatorFailed(state, context, ex).ConfigureAwait(false);
            return;
        }
        await Authenticated(state, context, next, policy, result).ConfigureAwait(false);
    }

    private ValueTask Authenticated(State state, ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, AuthenticationResult result)
    {
        if (!result.Succeeded) return Refuse(state, context, result.Failure, StatusCode.Unauthenticated, result.FailureMessage ?? "the credentials are not valid");
        return Authorize(state, context, next, policy, result.Identity);
    }

    private ValueTask Authorize(State state, ServerCallContext context, ServerCallHandler next, AuthorizationPolicy policy, ClaimsIdentity? fromHeader)
    {
        ClaimsIdentity? fromCertificate = state.Certificates is not null && context.ClientCertificate is { } certificate ? state.Certificates.Authenticate(certificate) : null;
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
                return Refuse(state, context, SecurityFailure.MissingCredentials, StatusCode.Unauthenticated,
                    $"{context.Service}/{context.Method} requires an authenticated caller and the call carried no credentials (accepted: {state.DescribeAccepted()})");
            }
            if (!policy.IsSatisfiedBy(user, context, out string? unmet))
            {
                return Refuse(state, context, SecurityFailure.Forbidden, StatusCode.PermissionDenied,
                    $"caller '{user.Identity?.Name ?? "(unnamed)"}' ({user.Identity?.AuthenticationType}) may not call {context.Service}/{context.Method}: it requires {unmet}");
            }
        }
        Counters.CountAllowed(user is not null);
        return next(context);
    }

    private ValueTask ValidatorFailed(State state, ServerCallContext context, Exception ex)
    {
        Counters.Increment(SecurityFailure.ValidatorFailed);
        if (ex is RpcException rpc)
        {
            LogRefusal(state, context, SecurityFailure.ValidatorFailed, rpc.Status, rpc.Message);
            return ValueTask.FromException(rpc);
        }
        var cause = ex is TokenValidatorException { InnerException: { } inner } ? inner : ex;
        string source = FailureLogLimiter.SourceOf(context.Peer);
        if (state.LogLimiter.ShouldLog(source, (int)SecurityFailure.ValidatorFailed, out long suppressed))
        {
            SecurityLog.ValidatorFailed(_logger, context.Service, context.Method, context.Peer, cause.GetType().Name, cause.Message, source, suppressed);
        }
        return ValueTask.FromException(new RpcException(StatusCode.Unavailable,
            $"the server could not check the credentials of {context.Service}/{context.Method} (its token validator failed); try again later"));
    }

    private ValueTask Refuse(State state, ServerCallContext context, SecurityFailure reason, StatusCode status, string message)
    {
        Counters.Increment(reason);
        LogRefusal(state, context, reason, status, message);
        // A completed faulted task instead of a throw: a flood of bad credentials should cost as little as possible.
        return ValueTask.FromException(new RpcException(status, message));
    }

    private void LogRefusal(State state, ServerCallContext context, SecurityFailure reason, StatusCode status, string message)
    {
        string source = FailureLogLimiter.SourceOf(context.Peer);
        if (state.LogLimiter.ShouldLog(source, (int)reason, out long suppressed))
        {
            SecurityLog.CallRefused(_logger, context.Service, context.Method, context.Peer, reason, status, message, source, suppressed);
        }
    }
}
