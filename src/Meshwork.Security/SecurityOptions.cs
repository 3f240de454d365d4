using Meshwork.Rpc;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;

namespace Meshwork.Security;

/// <summary>
/// Authentication and authorization of a server's calls. Each authenticator is off until its options are set;
/// <see cref="Methods"/> says who may call what. <see cref="Validate"/> runs when <see cref="SecurityMiddleware"/> is created.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>Bearer tokens (<c>authorization: Bearer &lt;token&gt;</c>). Default null: off.</summary>
    public BearerTokenOptions? Bearer { get; set; }

    /// <summary>HMAC-signed calls (<c>authorization: MW-HMAC-SHA256 ...</c>). Default null: off.</summary>
    public HmacAuthenticationOptions? Hmac { get; set; }

    /// <summary>
    /// The identity of mutual-TLS callers from their client certificates. Default null: off. The handshake itself
    /// must ask for certificates and check them: see <see cref="ClientCertificateTrust.RequireClientCertificates"/>.
    /// </summary>
    public ClientCertificateAuthenticationOptions? ClientCertificates { get; set; }

    /// <summary>Further authenticators for other <c>authorization</c> schemes. Default none.</summary>
    public IList<ITokenAuthenticator> Authenticators { get; } = new List<ITokenAuthenticator>();

    /// <summary>Who may call which method. Default: every method requires an authenticated caller (see <see cref="MethodPolicies.Default"/>).</summary>
    public MethodPolicies Methods { get; set; } = new();

    /// <summary>
    /// Shortest time between two log lines for refusals of one reason from one caller address; the next line says how
    /// many were suppressed, and every refusal is counted in <see cref="SecurityMiddleware.Counters"/>. Default 10 s,
    /// like the RPC core's protocol-error logging: a flood of bad tokens costs one line per address and reason every
    /// 10 s, while a new problem still shows within seconds. Zero logs every refusal.
    /// </summary>
    public TimeSpan FailureLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(SecurityOptions);
        Wrap(nameof(Bearer), () => Bearer?.Validate());
        Wrap(nameof(Hmac), () => Hmac?.Validate());
        Wrap(nameof(ClientCertificates), () => ClientCertificates?.Validate());
        if (Methods is null) throw new InvalidOptionException(type, nameof(Methods), "is required");
        if (Methods.Default is null) throw new InvalidOptionException(type, "Methods.Default", "is required");
        if (FailureLogInterval < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(FailureLogInterval), $"cannot be negative (was {FailureLogInterval})");
        var schemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (Bearer is not null) schemes.Add(BearerTokenAuthenticator.SchemeName);
        if (Hmac is not null) schemes.Add(HmacSignature.Scheme);
        for (int i = 0; i < Authenticators.Count; i++)
        {
            var a = Authenticators[i];
            if (a is null) throw new InvalidOptionException(type, $"{nameof(Authenticators)}[{i}]", "is null");
            if (string.IsNullOrWhiteSpace(a.Scheme) || a.Scheme.Any(char.IsWhiteSpace)) throw new InvalidOptionException(type, $"{nameof(Authenticators)}[{i}].Scheme", "must be a non-empty word without spaces");
            if (!schemes.Add(a.Scheme)) throw new InvalidOptionException(type, $"{nameof(Authenticators)}[{i}].Scheme", $"'{a.Scheme}' is handled by another authenticator");
        }
        bool anyAuthenticator = schemes.Count != 0 || ClientCertificates is not null;
        bool everythingAnonymous = Methods.Default.AllowsAnonymous && Methods.Rules.All(r => r.Policy.AllowsAnonymous);
        if (!anyAuthenticator && !everythingAnonymous)
        {
            throw new InvalidOptionException(type, nameof(Bearer),
                "no authenticator is configured (set Bearer, Hmac or ClientCertificates, or add one to Authenticators), so no caller could ever meet a policy that requires authentication");
        }

        static void Wrap(string path, Action validate)
        {
            try
            {
                validate();
            }
            catch (InvalidOptionException ex)
            {
                throw new InvalidOptionException(type, path + "." + ex.OptionPath, ex.Problem, ex);
            }
        }
    }
}
