using Meshwork.Discovery;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.Configuration;
using static Meshwork.Discovery.ConfigurationValues;

namespace Meshwork.Governance;

/// <summary>
/// Reads <see cref="GovernanceOptions"/> from a configuration section (YAML or JSON) shaped like the brief's client
/// section: <c>Defaults</c> and <c>Services:&lt;name&gt;</c> each with <c>Version, Tags, Metadata, Zone, Balancer,
/// VirtualNodes, Codec (name or {Name, MaxSize}), ConnectTimeout, ConnectionsPerInstance, MaxConcurrentCalls,
/// RetryBudget:{Ratio, Reserve}, CircuitBreaker:{...}, RateLimit:{PermitsPerSecond, Burst}</c> and the call keys
/// <c>FailMode, MaxAttempts, HedgeDelay, Timeout, RetryNonIdempotent, Compression, RateLimit</c>, which
/// <c>Methods:&lt;name&gt;</c> may override; plus <c>ResolveTimeout</c>. Every bad value fails with a
/// <see cref="DiscoveryConfigurationException"/> naming its key. See docs/governance.md for each key's default.
/// </summary>
public static class GovernanceConfiguration
{
    /// <summary>Reads the section into new options (the client template stays at its defaults).</summary>
    /// <exception cref="DiscoveryConfigurationException">A value is invalid; the message names the key.</exception>
    public static GovernanceOptions Read(IConfiguration section, IRttEstimator? rtt = null) => Read(section, rtt, null, allowNearestLater: false);

    /// <summary>
    /// Reads the section; <paramref name="client"/> is the channel template whose serializers define the known codecs
    /// (default: MessagePack and Protobuf). With <paramref name="allowNearestLater"/>, "nearest" is accepted without an
    /// estimator because the caller sets one once the registry is connected.
    /// </summary>
    internal static GovernanceOptions Read(IConfiguration section, IRttEstimator? rtt, RpcClientOptions? client, bool allowNearestLater)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new GovernanceOptions { RttEstimator = rtt };
        if (client is not null) options.Client = client;
        var reader = new Reader(options.Client, rtt is not null || allowNearestLater);
        if (Get(section, "ResolveTimeout") is { } rt) options.ResolveTimeout = Duration(rt);
        options.Defaults = reader.Service(section.GetSection("Defaults"), new ServicePolicy());
        foreach (var s in section.GetSection("Services").GetChildren())
        {
            options.Services[s.Key] = reader.Service(s, options.Defaults);
        }
        return options;
    }

    private sealed class Reader(RpcClientOptions client, bool haveRtt)
    {
        public ServicePolicy Service(IConfigurationSection s, ServicePolicy inherit)
        {
            var p = new ServicePolicy
            {
                Balancer = inherit.Balancer,
                VirtualNodes = inherit.VirtualNodes,
                RetryBudgetRatio = inherit.RetryBudgetRatio,
                RetryBudgetReserve = inherit.RetryBudgetReserve,
                Calls = inherit.Calls.Clone(),
                MaxConcurrentCalls = inherit.MaxConcurrentCalls,
                Codec = inherit.Codec,
                MaxMessageSize = inherit.MaxMessageSize,
                ConnectTimeout = inherit.ConnectTimeout,
                ConnectionsPerInstance = inherit.ConnectionsPerInstance,
                CircuitBreaker = inherit.CircuitBreaker?.Clone(),
                RateLimit = inherit.RateLimit?.Clone(),
            };
            p.Route.Version = inherit.Route.Version;
            p.Route.PreferredZone = inherit.Route.PreferredZone;
            foreach (var (k, v) in inherit.Route.Tags) p.Route.Tags[k] = v;
            foreach (var (k, v) in inherit.Route.Metadata) p.Route.Metadata[k] = v;
            if (Get(s, "Version") is { } v2)
            {
                try
                {
                    p.Route.Version = VersionRange.Parse(v2.Value);
                }
                catch (VersionRangeFormatException e)
                {
                    throw new DiscoveryConfigurationException(v2.Key, e.Message, e);
                }
            }
            foreach (var t in s.GetSection("Tags").GetChildren()) p.Route.Tags[t.Key] = t.Value ?? "";
            foreach (var t in s.GetSection("Metadata").GetChildren()) p.Route.Metadata[t.Key] = t.Value ?? "";
            if (Get(s, "Zone") is { } z) p.Route.PreferredZone = z.Value;
            if (Get(s, "Balancer") is { } b)
            {
                if (!Balancers.Names.Contains(b.Value)) throw new DiscoveryConfigurationException(b.Key, $"unknown balancer '{b.Value}'; known: {string.Join(", ", Balancers.Names)}");
                if (b.Value == "nearest" && !haveRtt) throw new DiscoveryConfigurationException(b.Key, "the 'nearest' balancer needs an RTT estimator (gossip discovery provides one)");
                p.Balancer = b.Value;
            }
            if (Get(s, "VirtualNodes") is { } vn) p.VirtualNodes = Int(vn, 1, 10_000);
            if (Get(s, "MaxConcurrentCalls") is { } mc) p.MaxConcurrentCalls = Int(mc, 1, 10_000_000);
            ReadCodec(s, p);
            if (Get(s, "ConnectTimeout") is { } ct) p.ConnectTimeout = Duration(ct);
            if (Get(s, "ConnectionsPerInstance") is { } cpi) p.ConnectionsPerInstance = Int(cpi, 1, 64);
            if (Get(s, "RetryBudget:Ratio") is { } ratio) p.RetryBudgetRatio = Double(ratio, 0, 1);
            if (Get(s, "RetryBudget:Reserve") is { } reserve) p.RetryBudgetReserve = Int(reserve, 0, 1_000_000);
            if (Get(s, "CircuitBreaker:Enabled") is { } on)
            {
                p.CircuitBreaker = Bool(on) ? p.CircuitBreaker ?? new CircuitBreakerOptions() : null;
            }
            if (p.CircuitBreaker is { } cb)
            {
                if (Get(s, "CircuitBreaker:FailureRatio") is { } fr) cb.FailureRatio = Double(fr, 0.01, 1);
                if (Get(s, "CircuitBreaker:MinimumThroughput") is { } mt) cb.MinimumThroughput = Int(mt, 1, 1_000_000);
                if (Get(s, "CircuitBreaker:SamplingDuration") is { } sd) cb.SamplingDuration = Duration(sd);
                if (Get(s, "CircuitBreaker:BreakDuration") is { } bd) cb.BreakDuration = Duration(bd);
                if (Get(s, "CircuitBreaker:HealthProbe") is { } hp) cb.HealthProbe = Bool(hp);
                if (Get(s, "CircuitBreaker:ProbeInterval") is { } pi) cb.ProbeInterval = Duration(pi);
            }
            p.RateLimit = RateLimit(s, p.RateLimit);
            var serviceCalls = p.Calls;
            Calls(s, serviceCalls);
            // The service section's RateLimit is the service-wide limit, not a per-call-policy one.
            serviceCalls.RateLimit = null;
            foreach (var m in s.GetSection("Methods").GetChildren())
            {
                // A method starts from the service's call policy but never inherits its rate limit: that limit is
                // shared by the whole service, a method's own limit is separate.
                var policy = p.Calls.Clone();
                policy.RateLimit = null;
                Calls(m, policy);
                if (Get(m, "Codec") is { } methodCodec) policy.Codec = KnownCodec(methodCodec);
                p.Methods[m.Key] = policy;
            }
            return p;
        }

        private void ReadCodec(IConfigurationSection s, ServicePolicy p)
        {
            var codec = Get(s, "Codec") ?? Get(s, "Codec:Name");
            if (codec is { } c) p.Codec = KnownCodec(c);
            if (Get(s, "Codec:MaxSize") is { } max)
            {
                p.MaxMessageSize = Size(max, int.MaxValue);
                if (p.MaxMessageSize < ServicePolicy.MinMessageSize) throw new DiscoveryConfigurationException(max.Key, $"'{max.Value}' is below the smallest message size of {ServicePolicy.MinMessageSize} bytes (64k)");
            }
        }

        /// <summary>The codec a key names, checked against the client template's serializers.</summary>
        private string KnownCodec((string Key, string Value) c)
        {
            var known = KnownCodecs(client);
            if (!known.Contains(c.Value, StringComparer.OrdinalIgnoreCase))
            {
                throw new DiscoveryConfigurationException(c.Key, $"unknown codec '{c.Value}'; known: {string.Join(", ", known)} (register others in GovernanceOptions.Client.Serializers)");
            }
            return c.Value.ToLowerInvariant();
        }

        private void Calls(IConfigurationSection s, CallPolicy c)
        {
            if (Get(s, "FailMode") is { } f)
            {
                c.FailMode = f.Value.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
                {
                    "failfast" => FailMode.FailFast,
                    "failover" => FailMode.FailOver,
                    "failretry" or "failtry" => FailMode.FailRetry,
                    "failbackup" or "hedging" => FailMode.FailBackup,
                    "failsafe" => FailMode.FailSafe,
                    _ => throw new DiscoveryConfigurationException(f.Key, $"unknown fail mode '{f.Value}'; known: failfast, failover, failretry, failbackup, failsafe"),
                };
            }
            if (Get(s, "MaxAttempts") is { } a) c.MaxAttempts = Int(a, 1, 10);
            if (Get(s, "HedgeDelay") is { } h) c.HedgeDelay = Duration(h);
            if (Get(s, "Timeout") is { } t) c.Timeout = Duration(t);
            if (Get(s, "RetryNonIdempotent") is { } r) c.RetryNonIdempotent = Bool(r);
            if (Get(s, "Compression") is { } comp)
            {
                if (client.Compression.FindByName(comp.Value) is null)
                {
                    throw new DiscoveryConfigurationException(comp.Key, $"unknown compression '{comp.Value}'; known: gzip, br (and any registered in GovernanceOptions.Client.Compression)");
                }
                c.Compression = comp.Value.ToLowerInvariant();
            }
            c.RateLimit = RateLimit(s, c.RateLimit);
        }

        public static RateLimitOptions? RateLimit(IConfigurationSection s, RateLimitOptions? inherited)
        {
            var limit = inherited?.Clone();
            if (Get(s, "RateLimit:PermitsPerSecond") is { } pps) (limit ??= new RateLimitOptions()).PermitsPerSecond = Double(pps, 0.001, 10_000_000);
            if (Get(s, "RateLimit:Burst") is { } burst)
            {
                if (limit is null) throw new DiscoveryConfigurationException(burst.Key, "a burst needs RateLimit:PermitsPerSecond");
                limit.Burst = Int(burst, 0, 10_000_000);
            }
            return limit;
        }
    }

    /// <summary>Reads a <c>RateLimit:{PermitsPerSecond, Burst}</c> subsection of <paramref name="section"/>; null when absent.</summary>
    internal static RateLimitOptions? RateLimit(IConfigurationSection section) => Reader.RateLimit(section, null);

    /// <summary>Names of the serializers registered in <paramref name="client"/>, the codecs configuration may name.</summary>
    internal static IReadOnlyList<string> KnownCodecs(RpcClientOptions client)
    {
        var names = new List<string>();
        for (int id = 1; id < 256; id++)
        {
            if (client.Serializers.Find((byte)id) is { } s) names.Add(s.Name);
        }
        return names;
    }
}
