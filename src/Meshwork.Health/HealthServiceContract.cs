using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Health;

/// <summary>
/// The health service on the wire, modelled on gRPC's: <c>Check</c> answers the serving status of the whole server
/// (empty service name) or of one service; <c>Watch</c> streams it, once at once and again at every change. Requests and
/// replies are plain strings, so any Meshwork client (and the CLI) can call it without generated code.
/// </summary>
public static class HealthServiceContract
{
    /// <summary>Service name on the wire.</summary>
    public const string ServiceName = "meshwork.Health";

    /// <summary>Status: the server (or service) takes calls.</summary>
    public const string Serving = "SERVING";

    /// <summary>Status: the server (or service) does not want calls now (draining, or a readiness check failed).</summary>
    public const string NotServing = "NOT_SERVING";

    /// <summary>Longest service name accepted in a request; longer ones are refused with InvalidArgument.</summary>
    public const int MaxServiceNameLength = 256;

    /// <summary><c>Check(service) → status</c>; idempotent, so balancers may retry it.</summary>
    public static readonly Method<string, string> Check = new(ServiceName, "Check", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    /// <summary><c>Watch(service) → stream of status</c>.</summary>
    public static readonly Method<string, string> Watch = new(ServiceName, "Watch", CallKind.ServerStreaming, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
}
