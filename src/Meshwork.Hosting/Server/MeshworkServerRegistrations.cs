using Meshwork.Rpc.Server;

namespace Meshwork.Hosting.Server;

/// <summary>What the server builder collected: services and middleware, each created from the container when the server is built.</summary>
internal sealed class MeshworkServerRegistrations
{
    public List<Func<IServiceProvider, ServiceDefinition>> Services { get; } = new();

    /// <summary>In registration order; the first runs outermost.</summary>
    public List<Func<IServiceProvider, IServerMiddleware>> Middleware { get; } = new();
}
