using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Testing;

/// <summary>
/// A real Kestrel app for a test: bound to a free loopback port (Kestrel picks it, so no other process can take it
/// between choosing and binding), started and accepting connections when <see cref="StartAsync"/> returns, stopped and
/// disposed with the host. The test adds its services and endpoints; logging providers are cleared so a test's
/// output is its own.
/// </summary>
public sealed class KestrelHost : IAsyncDisposable
{
    private KestrelHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = Eventually.Timeout };
    }

    /// <summary>The running app (its services, for tests that reach into them).</summary>
    public WebApplication App { get; }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The bound port.</summary>
    public int Port => Address.Port;

    /// <summary>A client whose base address is <see cref="Address"/> and whose timeout is <see cref="Eventually.Timeout"/>.</summary>
    public HttpClient Http { get; }

    /// <summary>Builds, starts and waits for an app on a free loopback port.</summary>
    /// <param name="services">Adds the app's services (may be null).</param>
    /// <param name="map">Maps the app's endpoints and middleware (may be null).</param>
    public static async Task<KestrelHost> StartAsync(Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        services?.Invoke(builder.Services);
        var app = builder.Build();
        try
        {
            map?.Invoke(app);
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            await WaitUntilAcceptingAsync(address.Port);
            return new KestrelHost(app, address);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ready means a TCP connection to the port is accepted (StartAsync returns once Kestrel listens; this
    /// checks it rather than trusting it).</summary>
    private static Task WaitUntilAcceptingAsync(int port) => Eventually.TrueAsync(async () =>
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return true;
    }, $"Kestrel accepting on 127.0.0.1:{port}");

    /// <summary>Stops the app (open requests get the host's shutdown timeout) and releases it and <see cref="Http"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
