using System.Net;
using Meshwork.Discovery;
using Meshwork.Gateway.Dashboard;
using Meshwork.Governance;
using Meshwork.Serf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Cli.Demo;

/// <summary>The web dashboard of the demo: the client's gossip view, the demo service's instances and the calls, live on loopback.</summary>
internal sealed class DemoDashboard : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeshworkDashboard _dashboard;

    private DemoDashboard(WebApplication app, MeshworkDashboard dashboard, string url)
    {
        _app = app;
        _dashboard = dashboard;
        Url = url;
    }

    public string Url { get; }

    /// <summary>The dashboard itself, whose snapshot the demo's status display reads too.</summary>
    public MeshworkDashboard Dashboard => _dashboard;

    public static async Task<DemoDashboard> StartAsync(SerfNode gossip, IServiceRegistry registry, GovernedCallInvoker invoker, int port, CancellationToken ct)
    {
        var options = new DashboardOptions();
        options.Services.Add(DemoContract.Service);
        var dashboard = new MeshworkDashboard(gossip, registry, invoker, options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapMeshworkDashboard(dashboard);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DemoDashboard(app, dashboard, address.TrimEnd('/') + options.PathPrefix + "/");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _dashboard.DisposeAsync();
    }
}
