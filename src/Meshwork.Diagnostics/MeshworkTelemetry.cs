namespace Meshwork.Diagnostics;

/// <summary>
/// Names under which Meshwork publishes telemetry. Subscribe to them by name (an <c>ActivityListener</c>, a
/// <c>MeterListener</c>, or OpenTelemetry's <c>AddSource</c>/<c>AddMeter</c>); nothing is recorded while nobody listens.
/// </summary>
public static class MeshworkTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of client and server call spans.</summary>
    public const string ActivitySourceName = "Meshwork.Rpc";

    /// <summary>Meter of call counts, durations, in-flight calls, server connections and buffers.</summary>
    public const string RpcMeterName = "Meshwork.Rpc";

    /// <summary>Meter of governance decisions: balancer picks, breaker transitions, retries, hedges, rate limits, shed load.</summary>
    public const string GovernanceMeterName = "Meshwork.Governance";

    /// <summary>Meter of gossip membership: members by state, probes, suspicions, refutations, messages, malformed input.</summary>
    public const string GossipMeterName = "Meshwork.Gossip";

    /// <summary>Every meter name above, for wiring all of them at once.</summary>
    public static IReadOnlyList<string> MeterNames { get; } = [RpcMeterName, GovernanceMeterName, GossipMeterName];

    /// <summary>The value of the <c>rpc.system</c> attribute on every span and measurement.</summary>
    public const string RpcSystem = "meshwork";
}
