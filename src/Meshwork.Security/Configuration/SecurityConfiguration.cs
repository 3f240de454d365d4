using System.Globalization;
using Meshwork.Rpc;
using Meshwork.Security.Authentication;
using Meshwork.Security.Authorization;
using Meshwork.Security.Client;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Security.Configuration;

/// <summary>
/// Reads <see cref="SecurityOptions"/> from a configuration section (conventionally <c>Security</c>):
/// <code>
/// FailureLogInterval: 10s
/// DefaultPolicy: Authenticated            # or Anonymous, or a policy object as under Methods
/// Bearer:  { MaxTokenLength: 8192, Tokens: [ { Token: ..., Name: ops, Roles: [admin] } ] }
/// Hmac:    { MaxClockSkew: 1m, ReplayCacheCapacity: 100000, Keys: [ { Id: k1, Secret: &lt;base64&gt;, Name: billing, Roles: [] } ] }
/// ClientCertificates: { Enabled: true, RolesByName: { billing-admin: [admin] } }
/// Credentials: { Hmac: { KeyId: k1, Secret: &lt;base64&gt; } }   # what this process's clients send (ReadCredentials); or { Bearer: { Token: ... } }
/// Methods:
///   Health/*: Anonymous
///   Admin/*:  { Roles: [admin] }
///   Billing/Refund: { Roles: [finance], Claims: { scope: [refund] }, Schemes: [mTLS] }
///   Billing/Audit:  { Claims: [ { Type: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", Values: [auditor] } ] }
/// </code>
/// A policy object requires an authenticated caller plus every listed role set (any one role of it), claim (any
/// listed value; an empty list means any value) and scheme. Claims are a map from type to values, or a list of
/// <c>{Type, Values}</c> for claim types containing ':' (URIs), which configuration keys cannot hold. Unknown keys are errors, because a misspelt security
/// setting must not silently fall back to a default. Every error is a <see cref="SecurityConfigurationException"/>
/// naming the key; secrets are never quoted in it.
/// </summary>
public static class SecurityConfiguration
{
    private static readonly string[] s_topKeys = ["FailureLogInterval", "DefaultPolicy", "Bearer", "Hmac", "ClientCertificates", "Methods", "Credentials"];
    private static readonly string[] s_credentialKeys = ["Bearer", "Hmac"];
    private static readonly string[] s_bearerCredentialKeys = ["Token"];
    private static readonly string[] s_hmacCredentialKeys = ["KeyId", "Secret"];

    /// <summary>
    /// Reads the <c>Credentials</c> subsection of <paramref name="section"/> (the <c>Security</c> section): what the
    /// clients of this process attach to every call. <c>Bearer: { Token }</c> or <c>Hmac: { KeyId, Secret }</c>
    /// (base64, at least 32 bytes), not both. Null when the subsection is absent.
    /// </summary>
    /// <exception cref="SecurityConfigurationException">A value is missing or invalid; the message names its key and never quotes a secret.</exception>
    public static CallCredentials? ReadCredentials(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var credentials = section.GetSection("Credentials");
        if (!credentials.Exists()) return null;
        OnlyKnown(credentials, s_credentialKeys);
        var bearer = credentials.GetSection("Bearer");
        var hmac = credentials.GetSection("Hmac");
        if (bearer.Exists() && hmac.Exists()) throw new SecurityConfigurationException(credentials.Path, "set Bearer or Hmac, not both: a call carries one authorization header");
        if (bearer.Exists())
        {
            OnlyKnown(bearer, s_bearerCredentialKeys);
            var token = bearer.GetSection("Token");
            if (string.IsNullOrWhiteSpace(token.Value)) throw new SecurityConfigurationException(token.Path, "missing; the bearer token this process sends");
            if (token.Value.Trim().Contains(' ', StringComparison.Ordinal)) throw new SecurityConfigurationException(token.Path, "must not contain spaces");
            return new BearerTokenCredentials(token.Value.Trim());
        }
        if (hmac.Exists())
        {
            OnlyKnown(hmac, s_hmacCredentialKeys);
            var id = hmac.GetSection("KeyId");
            if (string.IsNullOrWhiteSpace(id.Value)) throw new SecurityConfigurationException(id.Path, "missing; the id of the key calls are signed with");
            var secretKey = hmac.GetSection("Secret");
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(secretKey.Value ?? "");
            }
            catch (FormatException)
            {
                throw new SecurityConfigurationException(secretKey.Path, "is not valid base64 (generate one with: openssl rand -base64 32)");
            }
            if (secret.Length < HmacKey.MinSecretBytes) throw new SecurityConfigurationException(secretKey.Path, $"must decode to at least {HmacKey.MinSecretBytes} bytes (was {secret.Length})");
            try
            {
                return new HmacCallCredentials(id.Value.Trim(), secret);
            }
            catch (ArgumentException ex)
            {
                throw new SecurityConfigurationException(id.Path, ex.Message, ex);
            }
        }
        throw new SecurityConfigurationException(credentials.Path, "set Bearer: { Token } or Hmac: { KeyId, Secret }");
    }
    private static readonly string[] s_bearerKeys = ["MaxTokenLength", "Tokens"];
    private static readonly string[] s_tokenKeys = ["Token", "Name", "Roles"];
    private static readonly string[] s_hmacKeys = ["MaxClockSkew", "ReplayCacheCapacity", "Keys"];
    private static readonly string[] s_keyKeys = ["Id", "Secret", "Name", "Roles"];
    private static readonly string[] s_certificateKeys = ["Enabled", "RolesByName"];
    private static readonly string[] s_policyKeys = ["Anonymous", "Roles", "Claims", "Schemes"];
    private static readonly string[] s_claimKeys = ["Type", "Values"];

    /// <summary>Reads <paramref name="section"/> into new options and validates them.</summary>
    /// <exception cref="SecurityConfigurationException">A value is invalid; the message names its key.</exception>
    public static SecurityOptions Read(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        OnlyKnown(section, s_topKeys);
        var options = new SecurityOptions();
        if (Value(section, "FailureLogInterval") is { } interval) options.FailureLogInterval = Duration(interval, allowZero: true);
        if (section.GetSection("DefaultPolicy").Exists()) options.Methods.Default = Policy(section.GetSection("DefaultPolicy"));
        if (section.GetSection("Bearer") is { } bearer && bearer.Exists()) options.Bearer = ReadBearer(bearer);
        if (section.GetSection("Hmac") is { } hmac && hmac.Exists()) options.Hmac = ReadHmac(hmac);
        if (section.GetSection("ClientCertificates") is { } certificates && certificates.Exists()) options.ClientCertificates = ReadCertificates(certificates);
        foreach (var rule in section.GetSection("Methods").GetChildren())
        {
            try
            {
                options.Methods.Add(rule.Key, Policy(rule));
            }
            catch (ArgumentException ex) when (ex is not InvalidOptionException)
            {
                throw new SecurityConfigurationException(rule.Path, ex.Message, ex);
            }
        }
        try
        {
            options.Validate();
        }
        catch (InvalidOptionException ex)
        {
            throw new SecurityConfigurationException(section.Path + ":" + ex.OptionPath.Replace('.', ':').Replace("[", ":", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal), ex.Problem, ex);
        }
        return options;
    }

    private static BearerTokenOptions ReadBearer(IConfigurationSection section)
    {
        OnlyKnown(section, s_bearerKeys);
        var options = new BearerTokenOptions();
        if (Value(section, "MaxTokenLength") is { } max) options.MaxTokenLength = Int(max, 16, 1 << 20);
        foreach (var t in section.GetSection("Tokens").GetChildren())
        {
            OnlyKnown(t, s_tokenKeys);
            options.Tokens.Add(new StaticBearerToken { Token = t["Token"] ?? "", Name = t["Name"] ?? "", Roles = Strings(t.GetSection("Roles")) });
        }
        return options;
    }

    private static HmacAuthenticationOptions ReadHmac(IConfigurationSection section)
    {
        OnlyKnown(section, s_hmacKeys);
        var options = new HmacAuthenticationOptions();
        if (Value(section, "MaxClockSkew") is { } skew) options.MaxClockSkew = Duration(skew, allowZero: false);
        if (Value(section, "ReplayCacheCapacity") is { } capacity) options.ReplayCacheCapacity = Int(capacity, 1000, 100_000_000);
        foreach (var k in section.GetSection("Keys").GetChildren())
        {
            OnlyKnown(k, s_keyKeys);
            var secretKey = k.GetSection("Secret");
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(secretKey.Value ?? "");
            }
            catch (FormatException)
            {
                throw new SecurityConfigurationException(secretKey.Path, "is not valid base64 (generate one with: openssl rand -base64 32)");
            }
            var key = new HmacKey { Id = k["Id"] ?? "", Secret = secret, Name = k["Name"], Roles = Strings(k.GetSection("Roles")) };
            try
            {
                options.Keys.Add(key);
            }
            catch (InvalidOptionException ex)
            {
                string field = ex.OptionPath[(ex.OptionPath.LastIndexOf('.') + 1)..];
                throw new SecurityConfigurationException(k.Path + ":" + field, ex.Problem, ex);
            }
            catch (ArgumentException ex)
            {
                throw new SecurityConfigurationException(k.Path + ":Id", ex.Message, ex);
            }
        }
        return options;
    }

    private static ClientCertificateAuthenticationOptions? ReadCertificates(IConfigurationSection section)
    {
        OnlyKnown(section, s_certificateKeys);
        if (Value(section, "Enabled") is { } enabled)
        {
            if (!bool.TryParse(enabled.Value, out bool on)) throw new SecurityConfigurationException(enabled.Key, $"'{enabled.Value}' is not true or false");
            if (!on) return null;
        }
        var options = new ClientCertificateAuthenticationOptions();
        foreach (var entry in section.GetSection("RolesByName").GetChildren()) options.RolesByName[entry.Key] = Strings(entry);
        return options;
    }

    /// <summary><c>Anonymous</c>, <c>Authenticated</c>, or an object of Anonymous, Roles, Claims and Schemes.</summary>
    private static AuthorizationPolicy Policy(IConfigurationSection section)
    {
        if (section.Value is { } word)
        {
            return word.Trim().ToLowerInvariant() switch
            {
                "anonymous" => AuthorizationPolicy.AllowAnonymous,
                "authenticated" => AuthorizationPolicy.RequireAuthenticated,
                _ => throw new SecurityConfigurationException(section.Path, $"'{word}' is not a policy (use Anonymous, Authenticated, or an object with Roles, Claims and Schemes)"),
            };
        }
        OnlyKnown(section, s_policyKeys);
        if (Value(section, "Anonymous") is { } anonymous)
        {
            if (!bool.TryParse(anonymous.Value, out bool open)) throw new SecurityConfigurationException(anonymous.Key, $"'{anonymous.Value}' is not true or false");
            if (open)
            {
                if (section.GetChildren().Any(c => c.Key != "Anonymous")) throw new SecurityConfigurationException(section.Path, "an anonymous policy cannot also require roles, claims or schemes");
                return AuthorizationPolicy.AllowAnonymous;
            }
        }
        var policy = AuthorizationPolicy.RequireAuthenticated;
        try
        {
            if (section.GetSection("Roles").Exists()) policy = policy.And(AuthorizationPolicy.RequireRole([.. Strings(section.GetSection("Roles"))]));
            foreach (var claim in section.GetSection("Claims").GetChildren())
            {
                // Claim types that are URIs contain ':', the configuration path separator, so they need the list form.
                if (claim["Type"] is { } type)
                {
                    OnlyKnown(claim, s_claimKeys);
                    policy = policy.And(AuthorizationPolicy.RequireClaim(type, [.. Strings(claim.GetSection("Values"))]));
                }
                else
                {
                    policy = policy.And(AuthorizationPolicy.RequireClaim(claim.Key, [.. Strings(claim)]));
                }
            }
            if (section.GetSection("Schemes").Exists()) policy = policy.And(AuthorizationPolicy.RequireScheme([.. Strings(section.GetSection("Schemes"))]));
        }
        catch (ArgumentException ex)
        {
            throw new SecurityConfigurationException(section.Path, ex.Message, ex);
        }
        return policy;
    }

    /// <summary>A list (<c>[a, b]</c>) or a single value.</summary>
    private static List<string> Strings(IConfigurationSection section) =>
        section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? "").ToList();

    private static void OnlyKnown(IConfigurationSection section, string[] known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new SecurityConfigurationException(child.Path, $"is not a known setting here (known: {string.Join(", ", known)})");
            }
        }
    }

    private static (string Key, string Value)? Value(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        return child.Value is { } v ? (child.Path, v) : null;
    }

    private static int Int((string Key, string Value) e, int min, int max) =>
        int.TryParse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new SecurityConfigurationException(e.Key, $"'{e.Value}' is not an integer between {min} and {max}");

    /// <summary>Durations as <c>250ms</c>, <c>2s</c>, <c>1m</c> or a TimeSpan (<c>00:00:02</c>).</summary>
    private static TimeSpan Duration((string Key, string Value) e, bool allowZero)
    {
        string text = e.Value.Trim();
        TimeSpan value;
        bool ok;
        if (text.EndsWith("ms", StringComparison.Ordinal)) ok = Number(text[..^2], 1e-3, out value);
        else if (text.EndsWith('s')) ok = Number(text[..^1], 1, out value);
        else if (text.EndsWith('m')) ok = Number(text[..^1], 60, out value);
        else ok = TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        if (!ok || value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            throw new SecurityConfigurationException(e.Key, $"'{e.Value}' is not a {(allowZero ? "non-negative" : "positive")} duration (examples: 250ms, 2s, 1m, 00:00:02)");
        }
        return value;
    }

    private static bool Number(string s, double secondsPerUnit, out TimeSpan value)
    {
        bool ok = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && double.IsFinite(n);
        value = ok ? TimeSpan.FromSeconds(n * secondsPerUnit) : default;
        return ok;
    }
}
