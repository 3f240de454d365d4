using System.Collections.Concurrent;
using Meshwork.Rpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

[RpcService("Scoped")]
public interface IScopedProbe
{
    ValueTask<int> InstanceAsync(CancellationToken ct = default);
}

/// <summary>Records every instance created and disposed, to prove one instance (and scope) per call.</summary>
public sealed class ScopeLedger
{
    public ConcurrentBag<int> Created { get; } = new();
    public ConcurrentBag<int> Disposed { get; } = new();
    private int _next;
    public int Next() => Interlocked.Increment(ref _next);
}

public sealed class ScopedProbe : IScopedProbe, IDisposable
{
    private readonly ScopeLedger _ledger;
    private readonly int _id;

    public ScopedProbe(ScopeLedger ledger)
    {
        _ledger = ledger;
        _id = ledger.Next();
        ledger.Created.Add(_id);
    }

    public ValueTask<int> InstanceAsync(CancellationToken ct = default) => new(_id);

    public void Dispose() => _ledger.Disposed.Add(_id);
}

public class ScopedServiceTests
{
    [Fact]
    public async Task Scoped_services_get_a_fresh_instance_per_call_disposed_when_the_call_ends()
    {
        var ledger = new ScopeLedger();
        var serverBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0" });
        serverBuilder.Services.AddSingleton(ledger);
        serverBuilder.Services.AddMeshworkServer().AddScopedService<IScopedProbe, ScopedProbe>();
        using var serverHost = serverBuilder.Build();
        await serverHost.StartAsync();

        var clientBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Clients:Scoped:Address"] = TestHosts.AddressOf(serverHost) });
        clientBuilder.Services.AddMeshworkClient<IScopedProbe>();
        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var probe = clientHost.Services.GetRequiredService<IScopedProbe>();

        var ids = new HashSet<int>();
        for (int i = 0; i < 5; i++) ids.Add(await probe.InstanceAsync());
        Assert.Equal(5, ids.Count);
        await Eventually.TrueAsync(() => ledger.Disposed.Count >= 5, "every per-call instance is disposed");
        Assert.Equal(ids.Order(), ledger.Disposed.Order());

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }
}
