using System.Diagnostics;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Starts the <see cref="RpcServer"/> with the host and stops it gracefully: stop accepting, go-away to every
/// connection, let in-flight calls finish within <see cref="RpcServerOptions.DrainTimeout"/>. The host's shutdown token
/// (HostOptions.ShutdownTimeout) cuts the drain short; calls still running then are cancelled.
/// </summary>
internal sealed class MeshworkServerHostedService(RpcServer server, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = loggerFactory?.CreateLogger("Meshwork.Hosting.Server") ?? NullLogger.Instance;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var names = server.Services.Select(s => s.Name).ToArray();
        HostingLog.ServerStarting(_logger, names.Length, string.Join(", ", names));
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
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
        await server.StopAsync(cancellationToken).ConfigureAwait(false);
        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (cancellationToken.IsCancellationRequested) HostingLog.ServerDrainCutShort(_logger, elapsed);
        HostingLog.ServerStopped(_logger, elapsed);
    }
}
