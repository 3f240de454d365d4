using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Governance.Balancing;
using Meshwork.Governance.Resilience;

namespace Meshwork.Governance;

/// <summary>
/// Instruments of governance decisions on the <see cref="MeterName"/> meter. Every instrument is free while nobody
/// listens (each recording checks <see cref="Instrument.Enabled"/> before building its tags).
/// </summary>
public static class GovernanceMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Meshwork.Governance";

    /// <summary>Attribute naming the service.</summary>
    public const string ServiceAttribute = "rpc.service";

    /// <summary>Attribute naming the method.</summary>
    public const string MethodAttribute = "rpc.method";

    /// <summary>Attribute naming the instance (its registry id).</summary>
    public const string InstanceAttribute = "meshwork.instance";

    /// <summary>Attribute naming the balancer.</summary>
    public const string BalancerAttribute = "meshwork.balancer";

    /// <summary>Attribute naming a breaker state (closed, open, half_open).</summary>
    public const string StateAttribute = "meshwork.breaker.state";

    /// <summary>Attribute naming the limit that shed a call (method, service, caller).</summary>
    public const string LimitAttribute = "meshwork.limit";

    private static readonly Meter s_meter = new(MeterName, typeof(GovernanceMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> s_picks = s_meter.CreateCounter<long>("meshwork.governance.picks", "{pick}", "Instances picked by the balancer, by instance.");
    private static readonly Counter<long> s_breaker = s_meter.CreateCounter<long>("meshwork.governance.breaker.transitions", "{transition}",
        "Circuit breaker state changes, by instance and new state.");
    private static readonly Counter<long> s_retries = s_meter.CreateCounter<long>("meshwork.governance.retries", "{attempt}", "Retry attempts (fail-over, fail-retry) started.");
    private static readonly Counter<long> s_hedges = s_meter.CreateCounter<long>("meshwork.governance.hedges", "{attempt}", "Hedged attempts (fail-backup) started.");
    private static readonly Counter<long> s_denied = s_meter.CreateCounter<long>("meshwork.governance.retries_denied", "{attempt}", "Retries and hedges refused by the retry budget.");
    private static readonly Counter<long> s_rateLimited = s_meter.CreateCounter<long>("meshwork.governance.rate_limited", "{call}", "Calls refused by the client rate limit.");
    private static readonly Counter<long> s_bulkhead = s_meter.CreateCounter<long>("meshwork.governance.bulkhead_rejected", "{call}", "Calls refused because the service's bulkhead was full.");
    private static readonly Counter<long> s_shed = s_meter.CreateCounter<long>("meshwork.governance.server.shed", "{call}",
        "Calls a server answered ResourceExhausted at the door because a rate limit was exceeded, by limit.");

    private static readonly string[] s_stateNames = ["closed", "open", "half_open"];

    internal static void Picked(string service, InstanceEndpoint endpoint, string balancer)
    {
        if (!s_picks.Enabled) return;
        s_picks.Add(1, new TagList { { ServiceAttribute, service }, { InstanceAttribute, endpoint.Instance.Id }, { BalancerAttribute, balancer } });
    }

    internal static void BreakerTransition(string service, string instance, CircuitState state)
    {
        if (!s_breaker.Enabled) return;
        s_breaker.Add(1, new TagList { { ServiceAttribute, service }, { InstanceAttribute, instance }, { StateAttribute, s_stateNames[(int)state] } });
    }

    internal static void Retry(string service, string method) => Count(s_retries, service, method);

    internal static void Hedge(string service, string method) => Count(s_hedges, service, method);

    internal static void Denied(string service) => Count(s_denied, service, null);

    internal static void RateLimited(string service, string fullName)
    {
        if (s_rateLimited.Enabled) Count(s_rateLimited, service, fullName[(service.Length + 1)..]);
    }

    internal static void BulkheadRejected(string service, string method) => Count(s_bulkhead, service, method);

    internal static void Shed(string service, string method, string limit)
    {
        if (!s_shed.Enabled) return;
        s_shed.Add(1, new TagList { { ServiceAttribute, service }, { MethodAttribute, method }, { LimitAttribute, limit } });
    }

    private static void Count(Counter<long> counter, string service, string? method)
    {
        if (!counter.Enabled) return;
        var tags = new TagList { { ServiceAttribute, service } };
        if (method is not null) tags.Add(MethodAttribute, method);
        counter.Add(1, tags);
    }
}
