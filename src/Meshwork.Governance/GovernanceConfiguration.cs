using System.Globalization;
using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Governance;

/// <summary>
/// Reads <see cref="GovernanceOptions"/> from a configuration section (YAML or JSON) shaped like the brief's client
/// section: <c>Defaults</c> and <c>Services:&lt;name&gt;</c> each with <c>Version, Tags, Metadata, Zone, Balancer,
/// VirtualNodes, FailMode, MaxAttempts, HedgeDelay, Timeout, RetryNonIdempotent, RetryBudget:{Ratio, Reserve},
/// Methods:&lt;name&gt;:{FailMode, MaxAttempts, HedgeDelay, Timeout, RetryNonIdempotent}</c>, plus
/// <c>ResolveTimeout</c>. Every bad value fails with a <see cref="DiscoveryConfigurationException"/> naming its key.
/// </summary>
public static class GovernanceConfiguration
{
    /// <summary>Reads the section into new options (the client template stays at its defaults).</summary>
    /// <exception cref="DiscoveryConfigurationException">A value is invalid; the message names the key.</exception>
    public static GovernanceOptions Read(IConfiguration section, IRttEstimator? rtt = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new GovernanceOptions { RttEstimator = rtt };
        if (Get(section, "ResolveTimeout") is { } rt) options.ResolveTimeout = Duration(rt);
        var defaults = section.GetSection("Defaults");
        options.Defaults = ReadService(defaults, new ServicePolicy(), rtt);
        foreach (var s in section.GetSection("Services").GetChildren())
        {
            options.Services[s.Key] = ReadService(s, options.Defaults, rtt);
        }
        return options;
    }

    private static (string Key, string Value)? Get(IConfiguration c, string key)
    {
        var child = c is IConfigurationSection s ? s.GetSection(key) : c.GetSection(key);
        return child.Value is { } v ? (child.Path, v) : null;
    }

    private static ServicePolicy ReadService(IConfigurationSection s, ServicePolicy inherit, IRttEstimator? rtt)
    {
        var p = new ServicePolicy
        {
            Balancer = inherit.Balancer,
            VirtualNodes = inherit.VirtualNodes,
            RetryBudgetRatio = inherit.RetryBudgetRatio,
            RetryBudgetReserve = inherit.RetryBudgetReserve,
            Calls = inherit.Calls.Clone(),
        };
        p.Route.Version = inherit.Route.Version;
        p.Route.PreferredZone = inherit.Route.PreferredZone;
        if (Get(s, "Version") is { } v)
        {
            try
            {
                p.Route.Version = VersionRange.Parse(v.Value);
            }
            catch (VersionRangeFormatException e)
            {
                throw new DiscoveryConfigurationException(v.Key, e.Message, e);
            }
        }
        foreach (var t in s.GetSection("Tags").GetChildren()) p.Route.Tags[t.Key] = t.Value ?? "";
        foreach (var t in s.GetSection("Metadata").GetChildren()) p.Route.Metadata[t.Key] = t.Value ?? "";
        if (Get(s, "Zone") is { } z) p.Route.PreferredZone = z.Value;
        if (Get(s, "Balancer") is { } b)
        {
            if (!Balancers.Names.Contains(b.Value)) throw new DiscoveryConfigurationException(b.Key, $"unknown balancer '{b.Value}'; known: {string.Join(", ", Balancers.Names)}");
            if (b.Value == "nearest" && rtt is null) throw new DiscoveryConfigurationException(b.Key, "the 'nearest' balancer needs an RTT estimator (gossip discovery provides one)");
            p.Balancer = b.Value;
        }
        if (Get(s, "VirtualNodes") is { } vn) p.VirtualNodes = Int(vn, 1, 10_000);
        p.MaxConcurrentCalls = inherit.MaxConcurrentCalls;
        if (Get(s, "MaxConcurrentCalls") is { } mc) p.MaxConcurrentCalls = Int(mc, 1, 10_000_000);
        if (Get(s, "RetryBudget:Ratio") is { } ratio) p.RetryBudgetRatio = Double(ratio, 0, 1);
        if (Get(s, "RetryBudget:Reserve") is { } reserve) p.RetryBudgetReserve = Int(reserve, 0, 1_000_000);
        p.CircuitBreaker = inherit.CircuitBreaker?.Clone();
        if (Get(s, "CircuitBreaker:Enabled") is { } on)
        {
            bool enabled = bool.TryParse(on.Value, out var yes) ? yes : throw new DiscoveryConfigurationException(on.Key, $"'{on.Value}' is not true or false");
            p.CircuitBreaker = enabled ? p.CircuitBreaker ?? new CircuitBreakerOptions() : null;
        }
        if (p.CircuitBreaker is { } cb)
        {
            if (Get(s, "CircuitBreaker:FailureRatio") is { } fr) cb.FailureRatio = Double(fr, 0.01, 1);
            if (Get(s, "CircuitBreaker:MinimumThroughput") is { } mt) cb.MinimumThroughput = Int(mt, 1, 1_000_000);
            if (Get(s, "CircuitBreaker:SamplingDuration") is { } sd) cb.SamplingDuration = Duration(sd);
            if (Get(s, "CircuitBreaker:BreakDuration") is { } bd) cb.BreakDuration = Duration(bd);
        }
        if (inherit.RateLimit is { } inheritedLimit) p.RateLimit = new RateLimitOptions { PermitsPerSecond = inheritedLimit.PermitsPerSecond, Burst = inheritedLimit.Burst };
        if (Get(s, "RateLimit:PermitsPerSecond") is { } pps) (p.RateLimit ??= new RateLimitOptions()).PermitsPerSecond = Double(pps, 0.001, 10_000_000);
        if (Get(s, "RateLimit:Burst") is { } burst)
        {
            if (p.RateLimit is null) throw new DiscoveryConfigurationException(burst.Key, "a burst needs RateLimit:PermitsPerSecond");
            p.RateLimit.Burst = Int(burst, 0, 10_000_000);
        }
        ReadCalls(s, p.Calls);
        foreach (var m in s.GetSection("Methods").GetChildren())
        {
            var policy = p.Calls.Clone();
            ReadCalls(m, policy);
            p.Methods[m.Key] = policy;
        }
        return p;
    }

    private static void ReadCalls(IConfigurationSection s, CallPolicy c)
    {
        if (Get(s, "FailMode") is { } f)
        {
            c.FailMode = f.Value.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() switch
            {
                "failfast" => FailMode.FailFast,
                "failover" => FailMode.FailOver,
                "failretry" => FailMode.FailRetry,
                "failbackup" or "hedging" => FailMode.FailBackup,
                "failsafe" => FailMode.FailSafe,
                _ => throw new DiscoveryConfigurationException(f.Key, $"unknown fail mode '{f.Value}'; known: failfast, failover, failretry, failbackup, failsafe"),
            };
        }
        if (Get(s, "MaxAttempts") is { } a) c.MaxAttempts = Int(a, 1, 10);
        if (Get(s, "HedgeDelay") is { } h) c.HedgeDelay = Duration(h);
        if (Get(s, "Timeout") is { } t) c.Timeout = Duration(t);
        if (Get(s, "RetryNonIdempotent") is { } r)
        {
            c.RetryNonIdempotent = bool.TryParse(r.Value, out var yes) ? yes : throw new DiscoveryConfigurationException(r.Key, $"'{r.Value}' is not true or false");
        }
    }

    private static int Int((string Key, string Value) e, int min, int max) =>
        int.TryParse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new DiscoveryConfigurationException(e.Key, $"'{e.Value}' is not an integer between {min} and {max}");

    private static double Double((string Key, string Value) e, double min, double max) =>
        double.TryParse(e.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new DiscoveryConfigurationException(e.Key, $"'{e.Value}' is not a number between {min} and {max}");

    /// <summary>Durations as <c>250ms</c>, <c>2s</c>, <c>1m</c> or a TimeSpan (<c>00:00:02</c>); must be positive.</summary>
    private static TimeSpan Duration((string Key, string Value) e)
    {
        var text = e.Value.Trim();
        TimeSpan value;
        bool ok;
        if (text.EndsWith("ms", StringComparison.Ordinal)) ok = Number(text[..^2], 1e-3, out value);
        else if (text.EndsWith('s')) ok = Number(text[..^1], 1, out value);
        else if (text.EndsWith('m')) ok = Number(text[..^1], 60, out value);
        else ok = TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        if (!ok || value <= TimeSpan.Zero) throw new DiscoveryConfigurationException(e.Key, $"'{e.Value}' is not a positive duration (examples: 250ms, 2s, 1m, 00:00:02)");
        return value;
    }

    private static bool Number(string s, double secondsPerUnit, out TimeSpan value)
    {
        bool ok = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n);
        value = ok ? TimeSpan.FromSeconds(n * secondsPerUnit) : default;
        return ok;
    }
}
