using Meshwork.Rpc.Client;

namespace Meshwork.Hosting;

/// <summary>
/// Settings of one hosted client, a named option whose name is the contract's service name. Bound from
/// <c>Meshwork:Clients:{ServiceName}</c>, then overridden by the arguments of <c>AddMeshworkClient</c>.
/// </summary>
public sealed class MeshworkClientOptions
{
    /// <summary>Server address: <c>host:port</c>, <c>tcp://host:port</c> or <c>unix:///path</c>. Required.</summary>
    public string? Address { get; set; }

    /// <summary>Channel options. <see cref="RpcClientOptions.LoggerFactory"/> defaults to the host's logger factory.</summary>
    public RpcClientOptions Rpc { get; } = new();
}
