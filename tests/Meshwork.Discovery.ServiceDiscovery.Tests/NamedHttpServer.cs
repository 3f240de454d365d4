using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Discovery.ServiceDiscovery.Tests;

/// <summary>A real Kestrel server on a free loopback port that answers every GET with its name.</summary>
internal sealed class NamedHttpServer : IAsyncDisposable
{
    private KestrelHost _host = null!;

    private NamedHttpServer(string name) => Name = name;

    public string Name { get; }

    public int Port => _host.Port;

    /// <summary>The Meshwork address of this server.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public static async Task<NamedHttpServer> StartAsync(string name)
    {
        var self = new NamedHttpServer(name);
        self._host = await KestrelHost.StartAsync(map: app => app.MapGet("/{**path}", (HttpContext _) =>
        {
            Interlocked.Increment(ref self._requests);
            return name;
        }));
        return self;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
