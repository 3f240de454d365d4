namespace Meshwork.Security.Authorization;

/// <summary>
/// The authorization policy of every method, by pattern: <c>Billing/Refund</c> (one method), <c>Billing/*</c> (a
/// service), <c>*/Health</c>, <c>Billing/Get*</c>. '*' matches any run of characters within the service or the method
/// name. The most specific rule wins: an exact name beats any pattern, and among patterns the one with more literal
/// characters wins (ties go to the rule added first). Methods no rule matches get <see cref="Default"/>.
/// </summary>
public sealed class MethodPolicies
{
    private readonly List<Rule> _rules = new();

    /// <summary>One rule: a <c>Service/Method</c> pattern and its policy.</summary>
    public sealed record Rule(string Pattern, AuthorizationPolicy Policy)
    {
        internal string ServicePattern { get; } = Pattern[..Pattern.IndexOf('/', StringComparison.Ordinal)];
        internal string MethodPattern { get; } = Pattern[(Pattern.IndexOf('/', StringComparison.Ordinal) + 1)..];
        internal bool IsExact { get; } = !Pattern.Contains('*', StringComparison.Ordinal);
        internal int LiteralCount { get; } = Pattern.Count(c => c != '*');
    }

    /// <summary>
    /// The policy of methods no rule matches. Default <see cref="AuthorizationPolicy.RequireAuthenticated"/>
    /// (deny-by-default for anonymous callers): a method someone forgot to list must not be open to the network;
    /// open methods (health checks) are listed explicitly with <see cref="AuthorizationPolicy.AllowAnonymous"/>.
    /// </summary>
    public AuthorizationPolicy Default { get; set; } = AuthorizationPolicy.RequireAuthenticated;

    /// <summary>The rules in the order they were added.</summary>
    public IReadOnlyList<Rule> Rules => _rules;

    /// <summary>Sets the policy of the methods <paramref name="pattern"/> matches. Throws <see cref="ArgumentException"/> for a malformed or repeated pattern.</summary>
    public MethodPolicies Add(string pattern, AuthorizationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string? problem = Check(pattern);
        if (problem is not null) throw new ArgumentException($"method policy pattern '{pattern}' {problem}", nameof(pattern));
        if (_rules.Any(r => r.Pattern == pattern)) throw new ArgumentException($"method policy pattern '{pattern}' is set twice", nameof(pattern));
        _rules.Add(new Rule(pattern, policy));
        return this;
    }

    /// <summary>Why <paramref name="pattern"/> is not a valid rule pattern, or null when it is.</summary>
    internal static string? Check(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) return "is empty";
        int slash = pattern.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == pattern.Length - 1 || pattern.IndexOf('/', slash + 1) >= 0)
        {
            return "must be 'Service/Method' with exactly one '/', for example 'Billing/Refund', 'Billing/*' or '*/Health'";
        }
        if (pattern.Any(char.IsWhiteSpace)) return "must not contain white space";
        return null;
    }

    /// <summary>The policy that applies to <paramref name="service"/>/<paramref name="method"/>.</summary>
    public AuthorizationPolicy Resolve(string service, string method)
    {
        Rule? best = null;
        foreach (var rule in _rules)
        {
            if (!Glob.Matches(rule.ServicePattern, service) || !Glob.Matches(rule.MethodPattern, method)) continue;
            if (rule.IsExact) return rule.Policy;
            if (best is null || rule.LiteralCount > best.LiteralCount) best = rule;
        }
        return best?.Policy ?? Default;
    }

    /// <summary>An independent copy, so that a running server is not affected by later changes.</summary>
    internal MethodPolicies Clone()
    {
        var copy = new MethodPolicies { Default = Default };
        copy._rules.AddRange(_rules);
        return copy;
    }
}

/// <summary>'*' wildcard matching, iterative with one backtrack point (linear for any number of stars).</summary>
internal static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
