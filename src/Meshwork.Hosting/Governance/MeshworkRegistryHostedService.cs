using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// Connects the registry when the host starts (so a registry that cannot be reached, or a bad value in the
/// document, fails the start with the key named) and tears governance down when it stops: the server's drain
/// first (deregistration before anything else, whatever the order the services were registered in), then the
/// reloader and the invoker, then the registry.
/// </summary>
internal sealed class MeshworkRegistryHostedService(MeshworkGovernance governance) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) => await governance.ConnectAsync(cancellationToken).ConfigureAwait(false);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (governance.Server is { } server) await server.DrainAsync(cancellationToken).ConfigureAwait(false);
        await governance.StopAsync().ConfigureAwait(false);
    }
}
