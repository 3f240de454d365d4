using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Discovery.Gossip;

/// <summary>
/// The per-node directory: one idempotent unary method that returns the node's instance records as JSON
/// (<see cref="ServiceInstanceJson"/>). Clients call it only when a node's fingerprint changes.
/// </summary>
public static class DirectoryService
{
    /// <summary>Service name on the wire.</summary>
    public const string ServiceName = "meshwork.discovery";

    /// <summary>Returns the node's instances; the request is the fingerprint the caller saw (informational).</summary>
    public static readonly Method<string, string> List =
        new(ServiceName, "List", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    /// <summary>Builds the service definition that serves <paramref name="registry"/>'s local instances; add it to the node's RPC server before it starts.</summary>
    public static ServiceDefinition Create(GossipServiceRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return new ServiceDefinition(ServiceName).AddUnary(List, (_, _) => ValueTask.FromResult(registry.LocalDirectoryJson));
    }
}
