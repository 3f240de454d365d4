using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>A contract the source generator registers from its module initializer, as applications use it.</summary>
[RpcService("Calculator")]
public interface ICalculator
{
    ValueTask<string> UpperAsync(string text, CancellationToken ct = default);

    IAsyncEnumerable<int> CountAsync(int n, CancellationToken ct = default);
}

public sealed class Calculator : ICalculator
{
    public ValueTask<string> UpperAsync(string text, CancellationToken ct = default) => new(text.ToUpperInvariant());

    public async IAsyncEnumerable<int> CountAsync(int n, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (int i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }
}

public class GeneratedContractTests
{
    [Fact]
    public async Task Generated_contract_is_served_and_called_through_the_hosts()
    {
        Assert.Equal("Calculator", RpcContracts.ServiceName<ICalculator>());
        var serverBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0" });
        serverBuilder.Services.AddMeshworkServer().AddService<ICalculator, Calculator>();
        using var serverHost = serverBuilder.Build();
        await serverHost.StartAsync();

        var clientBuilder = TestHosts.Builder(new Dictionary<string, string?> { ["Meshwork:Clients:Calculator:Address"] = TestHosts.AddressOf(serverHost) });
        clientBuilder.Services.AddMeshworkClient<ICalculator>();
        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var calculator = clientHost.Services.GetRequiredService<ICalculator>();

        Assert.Equal("LOUD", await calculator.UpperAsync("loud"));
        var items = new List<int>();
        await foreach (var i in calculator.CountAsync(5)) items.Add(i);
        Assert.Equal([0, 1, 2, 3, 4], items);

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }
}
