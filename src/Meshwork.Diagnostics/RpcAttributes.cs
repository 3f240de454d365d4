namespace Meshwork.Diagnostics;

/// <summary>
/// Attribute (tag) names used on spans and measurements. The <c>rpc.*</c>, <c>server.*</c>, <c>client.*</c> and
/// <c>error.type</c> names follow the OpenTelemetry RPC semantic conventions; the status code attribute follows the
/// pattern of <c>rpc.grpc.status_code</c>, and Meshwork's status values equal gRPC's.
/// </summary>
public static class RpcAttributes
{
    /// <summary><c>rpc.system</c>: always <see cref="MeshworkTelemetry.RpcSystem"/>.</summary>
    public const string System = "rpc.system";

    /// <summary><c>rpc.service</c>: the service name on the wire.</summary>
    public const string Service = "rpc.service";

    /// <summary><c>rpc.method</c>: the method name on the wire.</summary>
    public const string Method = "rpc.method";

    /// <summary><c>rpc.meshwork.status_code</c>: the numeric <see cref="Rpc.StatusCode"/> of the call (0 is OK).</summary>
    public const string StatusCode = "rpc.meshwork.status_code";

    /// <summary><c>error.type</c>: the status name of a failed call (absent on success).</summary>
    public const string ErrorType = "error.type";

    /// <summary><c>client.address</c>: the caller's address, on server spans.</summary>
    public const string ClientAddress = "client.address";

    /// <summary><c>network.peer.address</c>: the remote end of the connection, on server spans.</summary>
    public const string PeerAddress = "network.peer.address";

    /// <summary><c>rpc.meshwork.call_kind</c>: unary, one-way or one of the streaming shapes.</summary>
    public const string CallKind = "rpc.meshwork.call_kind";
}
