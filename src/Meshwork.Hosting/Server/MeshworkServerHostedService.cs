using System.Diagnostics;
using Meshwork.Discovery.Gossip;
using Meshwork.Governance.Server;
using Meshwork.Hosting.Governance;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Starts the <see cref="RpcServer"/> with the host and stops it gracefully: stop accepting, go-away to every
/// connection, let in-flight calls finish within <see cref="RpcServerOptions.DrainTimeout"/>. The host's shutdown token
/// (HostOptions.ShutdownTimeout) cuts the drain short; calls still running then are cancelled. Under
/// <c>AddMeshwork</c> the server is discoverable (<see cref="DiscoverableServer"/>): it registers its services once it
/// listens, and its stop deregisters them first and waits <c>Server:Drain:PropagationDelay</c> before the go-away.
/// </summary>
internal sealed class MeshworkServerHostedService(RpcServer server, ILoggerFactory? loggerFactory = null, MeshworkGovernance? governance = null) : IHostedService
{
    private readonly ILogger _logger = loggerFactory?.CreateLogger("Meshwork.Hosting.Server") ?? NullLogger.Instance;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var names = server.Services.Select(s => s.Name).ToArray();
        HostingLog.ServerStarting(_logger, names.Length, string.Join(", ", names));
        try
        {
            if (governance is null)
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Discoverable: the registry first, then listen, then register every service at the bound address.
                var registry = await governance.ConnectAsync(cancellationToken).ConfigureAwait(false);
                if (governance.Gossip is { } gossip && !server.Services.Any(s => s.Name == DirectoryService.ServiceName))
                {
                    server.AddService(DirectoryService.Create(gossip)); // where gossip peers fetch this node's records
                }
                var discoverable = new DiscoverableServer(server, registry, governance.Document.Server.Announcement, loggerFactory);
                governance.Server = discoverable;
                await discoverable.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            HostingLog.ServerStartFailed(_logger, ex);
            throw;
        }
        foreach (var endpoint in server.BoundEndpoints) HostingLog.ServerListening(_logger, endpoint.Display);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        HostingLog.ServerStopping(_logger, server.ConnectionCount, server.ActiveCalls, server.Options.DrainTimeout.TotalMilliseconds);
        long start = Stopwatch.GetTimestamp();
        // Discoverable: deregister, wait for the change to propagate, then go away (the drain protocol).
        if (governance?.Server is { } discoverable) await discoverable.DrainAsync(cancellationToken).ConfigureAwait(false);
        else await server.StopAsync(cancellationToken).ConfigureAwait(false);
        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (cancellationToken.IsCancellationRequested) HostingLog.ServerDrainCutShort(_logger, elapsed);
        HostingLog.ServerStopped(_logger, elapsed);
    }
}
