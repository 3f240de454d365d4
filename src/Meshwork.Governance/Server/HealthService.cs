using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance.Server;

/// <summary>
/// The heartbeat clients send to an instance whose circuit breaker is open: one idempotent unary method that
/// answers "serving" while the server takes calls, and Unavailable once it drains or its check says it is unhealthy.
/// <see cref="DiscoverableServer"/> adds it to its server; a server without it is simply not probed (clients wait
/// for the half-open call instead).
/// </summary>
public static class HealthService
{
    /// <summary>Service name on the wire.</summary>
    public const string ServiceName = "meshwork.health";

    /// <summary>The answer of a healthy server.</summary>
    public const string Serving = "serving";

    /// <summary>Answers <see cref="Serving"/>, or fails with Unavailable saying why not. The request is the caller's name (informational).</summary>
    public static readonly Method<string, string> Check =
        new(ServiceName, "Check", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    /// <summary>
    /// Builds the service. <paramref name="isServing"/> is the server's own verdict (default: always serving);
    /// it is called once per heartbeat, so keep it cheap.
    /// </summary>
    public static ServiceDefinition Create(Func<bool>? isServing = null) =>
        new ServiceDefinition(ServiceName).AddUnary(Check, (_, _) => isServing is null || isServing()
            ? ValueTask.FromResult(Serving)
            : ValueTask.FromException<string>(new RpcException(StatusCode.Unavailable, "the server is not serving (draining or unhealthy)")));
}
